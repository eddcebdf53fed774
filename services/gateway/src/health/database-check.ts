/**
 * The gateway owns nothing durable and opens no Postgres pool: its `database` check is what the stateful
 * services say about their own database (their pool, their schema) in their ping replies. Its `redis` check is
 * its own connection joined with what services that use Redis (the connection service's leases) report.
 */
import type { DependencyCheck, ServiceName } from '@wahooks/contracts';

/** A service that answered its ping, with the dependencies it reported (none: it has no such dependency). */
export interface PingAnswer {
  service: ServiceName;
  database?: DependencyCheck;
  redis?: DependencyCheck;
}

/**
 * ok when every service that answered and has a database reports it ok (also when none has one: nothing durable
 * is down); otherwise an error naming each failing service and why. A service that did not answer is already an
 * error under `services`. Latency: the slowest database round trip reported (ms).
 */
export function databaseFromServices(answers: PingAnswer[]): DependencyCheck {
  return fromReports(
    answers.flatMap((a) => (a.database ? [{ who: a.service, check: a.database }] : [])),
    'database',
  );
}

/** The gateway's own Redis check joined with the services' reports, the same way: any error → error. */
export function redisFromGatewayAndServices(own: DependencyCheck, answers: PingAnswer[]): DependencyCheck {
  return fromReports(
    [{ who: 'gateway', check: own }, ...answers.flatMap((a) => (a.redis ? [{ who: a.service, check: a.redis }] : []))],
    'redis',
  );
}

function fromReports(reports: { who: string; check: DependencyCheck }[], what: string): DependencyCheck {
  const latency = Math.max(0, ...reports.map((r) => r.check.latency));
  const failing = reports.filter((r) => r.check.status !== 'ok');
  if (failing.length === 0) return { status: 'ok', latency };
  return {
    status: 'error',
    latency,
    error: failing.map((r) => `${r.who}: ${r.check.error ?? `${what} check failed`}`).join('; '),
  };
}
