/**
 * GET /api/health: the broker, Redis (both used by the gateway itself), and every deployed service answering
 * its ping command; Postgres as those services report it (database-check.ts: the gateway has no pool), and
 * Redis as the gateway and the services that use it (the connection service) see it.
 * A service whose command queue does not exist (the ping is unroutable) is not deployed and is skipped; one
 * whose queue exists but that does not answer within HEALTH_TIMEOUT_MS is down. Any down check → 503.
 * Anonymous callers get publicCheck(): cached for HEALTH_CACHE_MS and without error texts or instance names.
 */
import type { RedisClientType } from 'redis';
import type { Broker } from '@wahooks/broker';
import { AppError, checkDependency, pingCommand, ServiceNames, type ServiceName } from '@wahooks/contracts';
import { databaseFromServices, redisFromGatewayAndServices, type PingAnswer } from './database-check.js';

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
  /** A fresh check of everything, with details (errors, the replica that answered): authenticated callers. */
  check(): Promise<HealthReport>;
  /**
   * For anonymous callers: the last check if it is younger than `cacheMs` (concurrent callers share one check in
   * flight), with statuses and latencies only: no error text (it can name hosts and addresses) and no instance
   * (hostname:pid). An unauthenticated flood costs one round of pings per `cacheMs`, not one per request.
   */
  publicCheck(): Promise<HealthReport>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createHealthChecker(options: {
  broker: Broker;
  redis: RedisClientType<any, any, any, any, any>;
  timeoutMs: number;
  /** How long publicCheck() reuses a check, ms (0: every call checks). */
  cacheMs?: number;
}): HealthChecker {
  const { broker, redis, timeoutMs, cacheMs = 1000 } = options;
  let cached: { at: number; report: Promise<HealthReport> } | undefined;

  /** The service's check, and its reply when it answered (with its own database status). */
  async function pingService(service: ServiceName): Promise<{ check: ServiceCheck; answer?: PingAnswer }> {
    const started = performance.now();
    try {
      const reply = await broker.request(pingCommand(service), {}, { timeoutMs, mandatory: true });
      return {
        check: { status: 'ok', latency: Math.round(performance.now() - started), instance: reply.instance },
        answer: { service, database: reply.database, redis: reply.redis },
      };
    } catch (err) {
      const latency = Math.round(performance.now() - started);
      // Unroutable (no command queue bound) comes back at once as a 503 that is not the deadline's: the service
      // is not deployed here. A queue nobody consumes ends in the deadline's "did not answer": the service is down.
      const unroutable =
        err instanceof AppError && err.statusCode === 503 && !/did not answer/.test(err.message) && latency < timeoutMs;
      if (unroutable && broker.isConnected()) return { check: { status: 'not_deployed' } };
      return { check: { status: 'error', latency, error: message(err) } };
    }
  }

  async function check(): Promise<HealthReport> {
    const others = ServiceNames.filter((s) => s !== 'gateway');
    const [brokerCheck, ownRedis, pings] = await Promise.all([
      checkDependency(async () => {
        if (!broker.isConnected()) throw new Error('not connected to RabbitMQ');
      }, timeoutMs),
      checkDependency(async () => {
        if (!redis.isReady) throw new Error('not connected to Redis');
        await redis.ping();
      }, timeoutMs),
      Promise.all(others.map(pingService)),
    ]);
    const services = pings.map((p) => p.check);
    const answers = pings.flatMap((p) => (p.answer ? [p.answer] : []));
    const database: Check = databaseFromServices(answers);
    const redisCheck: Check = redisFromGatewayAndServices(ownRedis, answers);
    const serviceChecks: HealthReport['checks']['services'] = {};
    others.forEach((s, i) => (serviceChecks[s] = services[i]));
    const down = [brokerCheck, database, redisCheck, ...services].some((c) => c.status === 'error');
    return {
      status: down ? 'degraded' : 'ok',
      timestamp: new Date().toISOString(),
      checks: { broker: brokerCheck, database, redis: redisCheck, services: serviceChecks },
    };
  }

  return {
    check,
    async publicCheck() {
      const now = performance.now();
      let current = cached;
      if (!current || now - current.at >= cacheMs) {
        const report = check();
        current = cached = { at: now, report };
        // A failed round is not kept: the next caller checks again
        report.catch(() => (cached?.report === report ? (cached = undefined) : undefined));
      }
      return redact(await current.report);
    },
  };
}

const publicCheck = (c: Check): Check => ({ status: c.status, latency: c.latency });
const publicService = (c: ServiceCheck): ServiceCheck =>
  c.latency === undefined ? { status: c.status } : { status: c.status, latency: c.latency };

/** The report without error texts and instance names (what anonymous callers see). */
function redact(report: HealthReport): HealthReport {
  const { broker, database, redis, services } = report.checks;
  const publicServices: HealthReport['checks']['services'] = {};
  for (const [name, c] of Object.entries(services)) if (c) publicServices[name as ServiceName] = publicService(c);
  return {
    ...report,
    checks: {
      broker: publicCheck(broker),
      database: publicCheck(database),
      redis: publicCheck(redis),
      services: publicServices,
    },
  };
}
