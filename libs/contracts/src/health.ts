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
