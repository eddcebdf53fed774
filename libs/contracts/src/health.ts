import { z } from 'zod';
import { defineCommand, ServiceNames, type ServiceName } from './define.js';
import { pingCommandName } from './topology.js';

export const PingReply = z.object({
  service: z.enum(ServiceNames),
  instance: z.string(), // hostname:pid of the replica that answered
  uptimeMs: z.number(),
});

/** The ping command of one service; libs/broker answers it automatically for every service that serves commands. */
export const pingCommand = (service: ServiceName) =>
  defineCommand({
    name: pingCommandName(service),
    version: 1,
    request: z.object({}),
    reply: PingReply,
    summary: `Liveness ping answered by a ${service} replica`,
  });
