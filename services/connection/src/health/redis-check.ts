/**
 * This replica's view of Redis, for its health ping (the gateway's GET /api/health shows it under `redis`): the
 * session leases live there, so while it is unreachable sessions cannot be renewed or claimed.
 */
import { checkDependency, type DependencyCheck } from '@wahooks/contracts';
import type { RedisClientType } from 'redis';

/** Never throws; a client that is not ready answers at once (a PING would wait in the offline queue). */
export async function checkRedis(
  redis: Pick<RedisClientType, 'isReady' | 'ping'>,
  timeoutMs = 1000,
): Promise<DependencyCheck> {
  if (!redis.isReady) return { status: 'error', latency: 0, error: 'not connected to Redis' };
  return checkDependency(() => redis.ping(), timeoutMs);
}
