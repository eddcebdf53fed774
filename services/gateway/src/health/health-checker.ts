/**
 * GET /api/health: the broker, Postgres, Redis, and every deployed service answering its ping command.
 * A service whose command queue does not exist (the ping is unroutable) is not deployed and is skipped; one
 * whose queue exists but that does not answer within HEALTH_TIMEOUT_MS is down. Any down check → 503.
 */
import pg from 'pg';
import type { RedisClientType } from 'redis';
import type { Broker } from '@wahooks/broker';
import { AppError, pingCommand, ServiceNames, type ServiceName } from '@wahooks/contracts';

export type CheckStatus = 'ok' | 'error';

export interface Check {
  status: CheckStatus;
  latency: number; // ms
  error?: string;
}

export interface ServiceCheck {
  status: CheckStatus | 'not_deployed';
  latency?: number; // ms
  instance?: string; // hostname:pid of the replica that answered
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  timestamp: string;
  checks: {
    broker: Check;
    database: Check;
    redis: Check;
    services: Partial<Record<ServiceName, ServiceCheck>>;
  };
}

export interface HealthChecker {
  check(): Promise<HealthReport>;
  close(): Promise<void>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function timed(fn: () => Promise<unknown>, timeoutMs: number): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok', latency: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'error', latency: Math.round(performance.now() - started), error: message(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthChecker(options: {
  broker: Broker;
  redis: RedisClientType<any, any, any, any, any>;
  databaseUrl: string;
  timeoutMs: number;
}): HealthChecker {
  const { broker, redis, timeoutMs } = options;
  // One connection is plenty for SELECT 1; created on first use so a gateway without Postgres still starts.
  let pool: pg.Pool | undefined;
  const db = () =>
    (pool ??= new pg.Pool({
      connectionString: options.databaseUrl,
      max: 1,
      connectionTimeoutMillis: timeoutMs,
      idleTimeoutMillis: 30_000,
    }).on(
      'error',
      () => undefined, // an idle client dying is reported by the next check, not thrown
    ));

  async function pingService(service: ServiceName): Promise<ServiceCheck> {
    const started = performance.now();
    try {
      const reply = await broker.request(pingCommand(service), {}, { timeoutMs, mandatory: true });
      return { status: 'ok', latency: Math.round(performance.now() - started), instance: reply.instance };
    } catch (err) {
      const latency = Math.round(performance.now() - started);
      // Unroutable (no command queue bound) comes back at once as a 503 that is not the deadline's: the service
      // is not deployed here. A queue nobody consumes ends in the deadline's "did not answer": the service is down.
      const unroutable =
        err instanceof AppError && err.statusCode === 503 && !/did not answer/.test(err.message) && latency < timeoutMs;
      if (unroutable && broker.isConnected()) return { status: 'not_deployed' };
      return { status: 'error', latency, error: message(err) };
    }
  }

  return {
    async check() {
      const others = ServiceNames.filter((s) => s !== 'gateway');
      const [brokerCheck, database, redisCheck, ...services] = await Promise.all([
        timed(async () => {
          if (!broker.isConnected()) throw new Error('not connected to RabbitMQ');
        }, timeoutMs),
        timed(() => db().query('SELECT 1'), timeoutMs),
        timed(async () => {
          if (!redis.isReady) throw new Error('not connected to Redis');
          await redis.ping();
        }, timeoutMs),
        ...others.map(pingService),
      ]);
      const serviceChecks: HealthReport['checks']['services'] = {};
      others.forEach((s, i) => (serviceChecks[s] = services[i]));
      const down = [brokerCheck, database, redisCheck, ...services].some((c) => c.status === 'error');
      return {
        status: down ? 'degraded' : 'ok',
        timestamp: new Date().toISOString(),
        checks: { broker: brokerCheck, database, redis: redisCheck, services: serviceChecks },
      };
    },
    async close() {
      await pool?.end().catch(() => undefined);
    },
  };
}
