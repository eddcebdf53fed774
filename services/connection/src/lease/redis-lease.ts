/**
 * One session lease in Redis: `SET NX PX` plus a fencing token from a per-session counter (INCR), renewed
 * only by the holder (compare-and-expire in Lua). The token goes into every auth-state write, so a holder
 * that paused past its lease cannot overwrite the next owner's Signal state (see auth/fencing.ts).
 */
import type { RedisClientType } from 'redis';

export type RedisLike = Pick<RedisClientType, 'eval' | 'zAdd' | 'zRemRangeByScore' | 'zCard' | 'zRem'>;

const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. '#' .. token, 'PX', ARGV[2])
  return token
end
return false`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface LeaseKeys {
  lease: string;
  fence: string;
}

export const leaseKeys = (prefix: string, connectionId: string): LeaseKeys => ({
  lease: `${prefix}connection:lease:${connectionId}`,
  fence: `${prefix}connection:fence:${connectionId}`,
});

/** Returns the fencing token, or undefined when another holder has the lease. */
export async function acquireLease(
  redis: RedisLike,
  keys: LeaseKeys,
  holder: string,
  leaseMs: number,
): Promise<number | undefined> {
  const token = await redis.eval(ACQUIRE, { keys: [keys.lease, keys.fence], arguments: [holder, String(leaseMs)] });
  return typeof token === 'number' ? token : undefined;
}

/** The value stored under the lease key while `holder` has it with `token`. */
export const leaseValue = (holder: string, token: number) => `${holder}#${token}`;

export async function renewLease(redis: RedisLike, keys: LeaseKeys, value: string, leaseMs: number): Promise<boolean> {
  return (await redis.eval(RENEW, { keys: [keys.lease], arguments: [value, String(leaseMs)] })) === 1;
}

export async function releaseLease(redis: RedisLike, keys: LeaseKeys, value: string): Promise<boolean> {
  return (await redis.eval(RELEASE, { keys: [keys.lease], arguments: [value] })) === 1;
}
