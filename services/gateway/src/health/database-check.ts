/**
 * The gateway owns nothing durable and opens no Postgres pool: its `database` check is what the stateful
 * services say about their own database (their pool, their schema) in their ping replies.
 */
import type { DependencyCheck, ServiceName } from '@wahooks/contracts';

/** A service that answered its ping, with the database status it reported (none: it owns no database). */
export interface PingAnswer {
  service: ServiceName;
  database?: DependencyCheck;
}

/**
 * ok when every service that answered and has a database reports it ok (also when none has one: nothing durable
 * is down); otherwise an error naming each failing service and why. A service that did not answer is already an
 * error under `services`. Latency: the slowest database round trip reported (ms).
 */
export function databaseFromServices(answers: PingAnswer[]): DependencyCheck {
  const reports = answers.filter((a): a is Required<PingAnswer> => a.database !== undefined);
  const latency = Math.max(0, ...reports.map((r) => r.database.latency));
  const failing = reports.filter((r) => r.database.status !== 'ok');
  if (failing.length === 0) return { status: 'ok', latency };
  return {
    status: 'error',
    latency,
    error: failing.map((r) => `${r.service}: ${r.database.error ?? 'database check failed'}`).join('; '),
  };
}
