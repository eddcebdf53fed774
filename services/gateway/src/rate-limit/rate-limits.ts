/**
 * Per-IP (before auth; an IPv6 client per /64, see client-key.ts) and per-user (after auth) limits of
 * RATE_LIMIT_PER_MINUTE each, counted in Redis so every gateway replica shares them. Redis down → fail open (logged, at most once a minute) rather than take
 * the API down; /api/health reports Redis as down meanwhile.
 */
import type { Request, RequestHandler, Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';
import { AppError } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import { clientKey } from './client-key.js';
import { CoalescingLimiter } from './coalescing-limiter.js';

/** The original's throttler message, kept for client compatibility. */
export const TooManyRequests = 'ThrottlerException: Too Many Requests';

export interface RateLimits {
  /** Count one request against the client IP; throws the 429 AppError when over. */
  ip(req: Request, res: Response): Promise<void>;
  /** Count one request against an authenticated user; throws the 429 AppError when over. */
  user(userId: string, res: Response): Promise<void>;
  /** `ip` as middleware (routes without auth, the docs). */
  byIp: RequestHandler;
}

function setHeaders(res: Response, limit: number, r: RateLimiterRes): void {
  const reset = Math.max(0, Math.ceil(r.msBeforeNext / 1000));
  const remaining = Math.max(0, r.remainingPoints);
  const previous = Number(res.getHeader('RateLimit-Remaining') ?? Infinity);
  if (remaining > previous) return; // report the tighter of the two limits
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(remaining));
  res.setHeader('RateLimit-Reset', String(reset));
}

export function createRateLimits(options: {
  redis: RedisClientType<any, any, any, any, any>;
  prefix: string;
  perMinute: number;
  logger: Logger;
  /** How long a count may wait for Redis before the request goes through uncounted (fail open). */
  redisTimeoutMs?: number;
}): RateLimits {
  const { redis, prefix, perMinute, logger, redisTimeoutMs = 2000 } = options;
  let lastWarning = 0;
  const limiter = (name: string) =>
    new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      rejectIfRedisNotReady: true, // fail fast instead of queueing behind a reconnect
      keyPrefix: `${prefix}rate-limit:${name}`,
      points: perMinute,
      duration: 60, // seconds
      // The first request over the limit blocks the key in this instance's memory for the rest of the window:
      // later ones get their 429 without a Redis round trip.
      inMemoryBlockOnConsumed: perMinute + 1,
    });

  const consume = async (l: CoalescingLimiter, key: string, res: Response): Promise<void> => {
    try {
      setHeaders(res, perMinute, await l.consume(key));
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        setHeaders(res, perMinute, err);
        const retryAfter = String(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
        throw new AppError(429, TooManyRequests, { 'Retry-After': retryAfter });
      }
      const now = Date.now();
      if (now - lastWarning > 60_000) {
        lastWarning = now;
        logger.warn({ err: (err as Error).message }, 'rate limiter unavailable (Redis down?): failing open');
      }
    }
  };
  const byIp = limiter('ip');
  const byUser = limiter('user');
  const ipCounts = new CoalescingLimiter(byIp, redisTimeoutMs);
  const userCounts = new CoalescingLimiter(byUser, redisTimeoutMs);
  const ip = (req: Request, res: Response) => consume(ipCounts, clientKey(req.ip ?? req.socket.remoteAddress), res);

  return {
    ip,
    user: (userId, res) => consume(userCounts, userId, res),
    byIp: async (req, res, next) => {
      await ip(req, res);
      next();
    },
  };
}
