/** Commands answered by the connection service. */
import { z } from 'zod';
import { defineCommand } from '../define.js';

export const ConnectionStatus = z.enum(['pending', 'scan_qr', 'working', 'failed', 'stopped']);

/** Lets other services resolve ownership when their local projection has not seen the connection yet. */
export const GetConnection = defineCommand({
  name: 'connection.connection.get',
  version: 1,
  request: z.object({ connectionId: z.uuid() }),
  reply: z.object({ id: z.uuid(), userId: z.uuid(), status: ConnectionStatus }),
  summary: 'Owner and status of one connection; 404 Connection not found',
});
