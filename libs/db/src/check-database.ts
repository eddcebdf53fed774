/**
 * A service's view of its own database, for its health ping (`<service>.health.ping` reports it and the
 * gateway's GET /api/health aggregates those reports): one `SELECT 1` through the service's own pool, so an
 * exhausted pool shows up as well as an unreachable server.
 */
import type { DataSource } from 'typeorm';
import { checkDependency, type DependencyCheck } from '@wahooks/contracts';
import { sqlOf } from './sql.js';

export type DatabaseCheck = DependencyCheck;

/**
 * Never throws. `timeoutMs` (default 1000) stays below the gateway's HEALTH_TIMEOUT_MS (default 2000), so the
 * ping still answers in time and says why the database check failed.
 */
export function checkDatabase(dataSource: DataSource, timeoutMs = 1000): Promise<DatabaseCheck> {
  return checkDependency(() => sqlOf(dataSource).query('SELECT 1'), timeoutMs);
}
