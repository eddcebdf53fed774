import { z } from 'zod';
import { defineCommand, ServiceNames, type ServiceName } from './define.js';
import { pingCommandName } from './topology.js';

/** One dependency as the replica that uses it sees it (the gateway's GET /api/health aggregates these). */
export const DependencyCheck = z.object({
  status: z.enum(['ok', 'error']),
  latency: z.number(), // ms
  error: z.string().optional(), // why, when status is 'error'
});
export type DependencyCheck = z.infer<typeof DependencyCheck>;

/**
 * Runs `probe` (a `SELECT 1`, a Redis PING, …) with a deadline and reports it as a DependencyCheck (latency in ms).
 * Never throws: a probe that fails, or does not settle within `timeoutMs`, is `error` with the reason.
 */
export async function checkDependency(probe: () => Promise<unknown>, timeoutMs: number): Promise<DependencyCheck> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok', latency: latency() };
  } catch (err) {
    return { status: 'error', latency: latency(), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a replica reports about its own dependencies in its ping reply. A service that owns a database reports
 * it (`checkDatabase` in @wahooks/db); one that owns nothing durable leaves it out. A service that depends on
 * Redis (the connection service's session leases) reports its own connection to it.
 */
export const ServiceHealth = z.object({
  database: DependencyCheck.optional(),
  redis: DependencyCheck.optional(),
});
export type ServiceHealth = z.infer<typeof ServiceHealth>;

export const PingReply = z.object({
  service: z.enum(ServiceNames),
  instance: z.string(), // hostname:pid of the replica that answered
  uptimeMs: z.number(),
  ...ServiceHealth.shape,
});

/**
 * The ping command of one service; libs/broker answers it automatically for every service that serves commands,
 * with what the service's `health` option (connectBroker) reports.
 */
export const pingCommand = (service: ServiceName) =>
  defineCommand({
    name: pingCommandName(service),
    version: 1,
    request: z.object({}),
    reply: PingReply,
    summary: `Liveness ping answered by a ${service} replica, with its own database status`,
  });
