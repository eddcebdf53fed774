/** The gateway's environment. Defaults work on a developer machine; `loadConfig(GatewayEnv)` in main.ts. */
import { z } from 'zod';
import { envInt, metricsPortEnv, parseConfig, sharedEnv } from '@wahooks/config';
import { streamEnv } from './stream/stream-config.js';

/** `TRUST_PROXY`: false (default), true, a hop count, or express's comma-separated subnet list. */
const trustProxy = z
  .string()
  .default('false')
  .transform((v): boolean | number | string => {
    const s = v.trim().toLowerCase();
    if (['false', '0', 'no', ''].includes(s)) return false;
    if (['true', 'yes'].includes(s)) return true;
    if (/^\d+$/.test(s)) return Number(s);
    return v.trim();
  });

/** The shared variables minus DATABASE_URL: the gateway owns nothing durable (health asks the services). */
const { DATABASE_URL: _notUsed, ...gatewaySharedEnv } = sharedEnv;

export const GatewayEnv = z.object({
  ...gatewaySharedEnv,
  /** Internal Prometheus port (/metrics; 9101, `off` = none): never the public PORT. */
  ...metricsPortEnv('gateway'),
  /** HTTP port; 0 = any free port (tests). */
  PORT: envInt(3000, 0, 65535),
  /** Max JSON/urlencoded body of a route without its own limit (bytes-package syntax: "1mb", "100kb"). Only the
   *  media sends take more (their own bodyLimit, routes/messages.ts): no JSON route needs a megabyte. */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'expected a size such as 1mb')
    .default('1mb'),
  /** Requests per minute per client IP, and separately per authenticated user. */
  RATE_LIMIT_PER_MINUTE: envInt(60, 1),
  TRUST_PROXY: trustProxy,
  /** Prefix for the gateway's Redis keys (rate limits); tests use a unique one per file. */
  REDIS_PREFIX: z.string().default('wahooks:'),
  SUPABASE_URL: z.url().optional(),
  /** Overrides `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`. */
  SUPABASE_JWKS_URL: z.url().optional(),
  /** Legacy HS256 projects: JWTs signed with this secret are accepted too. */
  SUPABASE_JWT_SECRET: z.string().min(1).optional(),
  /** ms a JWKS fetch may take before the token is refused with "Unable to verify token signing key". */
  JWKS_TIMEOUT_MS: envInt(5000, 1),
  /** ms a verified wh_ token is trusted without asking the token service again (revocation drops it at once). */
  AUTH_CACHE_TTL_MS: envInt(30_000, 0),
  /** ms between `gateway.token.used` reports of tokens accepted from the auth cache (their lastUsedAt). */
  AUTH_USAGE_FLUSH_MS: envInt(1000, 50),
  /** ms deadline of a command sent to a service; on expiry the request fails with 503/504, never hangs. */
  RPC_TIMEOUT_MS: envInt(5000, 1),
  /** ms each service has to answer its ping in GET /api/health before it counts as down. */
  HEALTH_TIMEOUT_MS: envInt(2000, 1),
  /** ms an anonymous GET /api/health reuses the last check (0 = check every time); with a token: always fresh. */
  HEALTH_CACHE_MS: envInt(1000, 0),
  /** `GET /api/ws`: PUBLIC_API_URL and STREAM_* (README, "Event stream"). */
  ...streamEnv,
});
export type GatewayConfig = z.output<typeof GatewayEnv>;

/** Build a config from a partial env (tests): every unset variable takes its default. */
export const gatewayConfig = (env: Record<string, string | undefined> = {}): GatewayConfig =>
  parseConfig(GatewayEnv, env);

/** Where the Supabase signing keys live, or undefined when JWTs can only be HS256 (or not at all). */
export const jwksUrl = (c: GatewayConfig): string | undefined =>
  c.SUPABASE_JWKS_URL ??
  (c.SUPABASE_URL ? `${c.SUPABASE_URL.replace(/\/+$/, '')}/auth/v1/.well-known/jwks.json` : undefined);
