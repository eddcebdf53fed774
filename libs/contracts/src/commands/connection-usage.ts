/**
 * Commands answered by the connection service for billing: how many connections a user holds (slots used,
 * `GET /api/billing/status` and can-create) and which connections are linked now (usage metering). Billing never
 * reads the connection service's tables.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';

export const CountConnections = defineCommand({
  name: 'connection.connection.count',
  version: 1,
  request: z.object({ userId: z.uuid() }),
  reply: z.object({
    active: z.number().int().nonnegative(), // not stopped: what uses a slot
    working: z.number().int().nonnegative(), // linked to WhatsApp now
    maxPerUser: z.number().int().positive(), // MAX_CONNECTIONS_PER_USER: the bound when billing is off
  }),
  summary: "A user's connections that use a slot (not stopped), those linked now, and the server's per-user bound",
});

/** Most connections in one ListWorkingConnections reply; page on with `after`. */
export const WORKING_PAGE_SIZE = 1000;

export const ListWorkingConnections = defineCommand({
  name: 'connection.connection.working',
  version: 1,
  request: z.object({ after: z.uuid().optional() }), // the last id of the previous page
  reply: z.object({
    connections: z.array(z.object({ id: z.uuid(), userId: z.uuid() })).max(WORKING_PAGE_SIZE), // ordered by id
  }),
  summary: 'Connections linked to WhatsApp now (status working), by id, a page at a time: the usage meter samples it',
});
