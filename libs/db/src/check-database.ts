/**
 * A service's view of its own database, for its health ping (`<service>.health.ping` reports it and the
 * gateway's GET /api/health aggregates those reports): one `SELECT 1` through the service's own pool, so an
 * exhausted pool shows up as well as an unreachable server.
 */
import type { DataSource } from 'typeorm';
import { sqlOf } from './sql.js';

export interface DatabaseCheck {
  status: 'ok' | 'error';
  latency: number; // ms
  error?: string;
}

/**
 * Never throws. `timeoutMs` (default 1000) stays below the gateway's HEALTH_TIMEOUT_MS (default 2000), so the
 * ping still answers in time and says why the database check failed.
 */
export async function checkDatabase(dataSource: DataSource, timeoutMs = 1000): Promise<DatabaseCheck> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sqlOf(dataSource).query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok', latency: latency() };
  } catch (err) {
    return { status: 'error', latency: latency(), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
