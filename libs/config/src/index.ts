/**
 * Environment validation. Each service describes its variables as a zod object (with defaults that work on a
 * developer machine with RabbitMQ, Postgres and Redis on their standard local ports) and calls loadConfig once
 * at start. A bad value ends the process with a message that names the variable.
 */
import { z } from 'zod';

/** Variables every service shares. Spread into a service's own schema: `z.object({...sharedEnv, PORT: ...})`. */
export const sharedEnv = {
  RABBITMQ_URL: z.url({ protocol: /^amqps?$/ }).default('amqp://guest:guest@127.0.0.1:5672'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/wahooks'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Prefix for every exchange and queue name; empty in production, unique per test file in tests. */
  BROKER_NAMESPACE: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
};

/** A boolean variable: accepts true/false/1/0/yes/no (case-insensitive). */
export const envBool = (fallback: boolean) =>
  z
    .string()
    .default(fallback ? 'true' : 'false')
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true/false, 1/0 or yes/no' }))
    .transform((v) => ['true', '1', 'yes'].includes(v));

/** An integer variable (e.g. a port, a limit, milliseconds) within [min, max]. */
export const envInt = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parse `env` against `schema`; throws ConfigError naming every bad variable. */
export function parseConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  // Empty (or blank) strings count as unset, so `FOO= npm start` falls back to the default (and `PORT=' '` is
  // not coerced to port 0).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
}

/** parseConfig for a process entry point: on a bad variable print the reason and exit 1. */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The gateway's own port on a developer machine: where media URLs point unless PUBLIC_API_URL is set. */
export const DEFAULT_PUBLIC_API_URL = 'http://localhost:3000';

/** The gateway's public base URL, for services that show absolute media URLs (webhook bodies, the chats API). */
export const publicApiUrlEnv = {
  PUBLIC_API_URL: z.url().default(DEFAULT_PUBLIC_API_URL),
};

/** Customers' media URLs would point at localhost: say so at start in production. */
export function publicApiUrlWarnings(env: NodeJS.ProcessEnv): string[] {
  return env.NODE_ENV === 'production' && !env.PUBLIC_API_URL?.trim()
    ? [
        `PUBLIC_API_URL is not set: media URLs in webhook bodies and the chats API will point at ${DEFAULT_PUBLIC_API_URL}`,
      ]
    : [];
}

/**
 * The internal Prometheus port of each service (`/metrics`, never the public API port). Distinct per service so
 * `npm start` runs all six side by side on one machine; in containers each has its own network namespace anyway.
 */
export const DEFAULT_METRICS_PORTS = {
  gateway: 9101,
  token: 9102,
  connection: 9103,
  messaging: 9104,
  'webhook-delivery': 9105,
  billing: 9106,
} as const;

/**
 * `DB_VACUUM`: whether a service with high-churn tables vacuums them itself (`@wahooks/db` startVacuumKeeper):
 * `auto` (default) only while the Postgres server's autovacuum is off, `on` always, `off` never.
 */
export const dbVacuumEnv = {
  DB_VACUUM: z.enum(['auto', 'on', 'off']).default('auto'),
};

/** `METRICS_PORT`: a port (0 = any free port, tests), or `off` for no metrics server; default per service. */
export const metricsPortEnv = (service: keyof typeof DEFAULT_METRICS_PORTS) => ({
  METRICS_PORT: z
    .string()
    .default(String(DEFAULT_METRICS_PORTS[service]))
    .transform((v) => v.trim().toLowerCase())
    .pipe(
      z.union([
        z.literal(['off', 'false', 'none']).transform((): 'off' => 'off'),
        z
          .string()
          .regex(/^\d+$/, 'expected a port (0 = any free one) or off')
          .transform(Number)
          .pipe(z.number().max(65535)),
      ]),
    ),
});
