/** What route handlers may use. Built once in service.ts; handlers get it as `ctx.deps` (and `ctx.broker`). */
import type { RedisClientType } from 'redis';
import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import type { GatewayConfig } from './config.js';
import type { HealthChecker } from './health/health-checker.js';

export interface GatewayDeps {
  config: GatewayConfig;
  broker: Broker;
  logger: Logger;
  health: HealthChecker;
  /** The gateway's Redis (rate limits); messaging routes stage base64 media bytes in it (never on the broker). */
  redis: RedisClientType<any, any, any, any, any>;
}
