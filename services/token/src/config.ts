import { envInt, metricsPortEnv, sharedEnv } from '@wahooks/config';
import { z } from 'zod';

export const TokenConfigSchema = z.object({
  ...sharedEnv,
  /** Internal Prometheus port (/metrics; 9102, `off` = none). */
  ...metricsPortEnv('token'),
  /** How often batched lastUsedAt values are written (ms). */
  TOKEN_LAST_USED_FLUSH_MS: envInt(1000, 50),
  /** Commands handled concurrently by one instance (AMQP prefetch). */
  TOKEN_PREFETCH: envInt(64, 1),
  /** Postgres connections in this instance's pool. */
  TOKEN_DB_POOL_SIZE: envInt(10, 1),
});

export type TokenConfig = z.output<typeof TokenConfigSchema>;
