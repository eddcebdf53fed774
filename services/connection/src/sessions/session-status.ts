/**
 * A session's status made durable: the connection row (status, reason, phone number) and its `session.status`
 * event in the outbox, in one transaction, so whoever reads the row can also see the event and vice versa.
 */
import type { WhatsAppEventPayload } from '@wahooks/contracts';
import { retryWhileUnavailable, type RetryWhileUnavailableOptions, type Sql } from '@wahooks/db';
import type { ConnectionStatus } from '../events/index.js';
import { persistBatch } from './session-store.js';

export interface StatusWrite {
  status: ConnectionStatus;
  reason?: string;
  phone?: string | null; // kept as is when undefined or null
  event: WhatsAppEventPayload; // its `session.status` envelope
}

/**
 * A stopped connection keeps its status: the row is only changed while it is not `stopped`. With `retry`, a
 * database outage is waited out (the session's own status changes: dropping one would leave the row and the
 * `session.status` events behind the socket for good).
 */
export async function persistStatus(
  sql: Sql,
  connectionId: string,
  change: StatusWrite,
  retry?: RetryWhileUnavailableOptions,
): Promise<void> {
  if (!retry) return writeStatus(sql, connectionId, change);
  await retryWhileUnavailable(() => writeStatus(sql, connectionId, change), retry);
}

async function writeStatus(sql: Sql, connectionId: string, change: StatusWrite): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(
      `UPDATE connection.connections SET status = $2, status_reason = $3,
         phone_number = COALESCE($4, phone_number), updated_at = now()
       WHERE id = $1 AND status <> 'stopped'`,
      [connectionId, change.status, change.reason ?? null, change.phone ?? null],
    );
    await persistBatch(tx, connectionId, { outbox: [{ envelope: change.event }], messages: [], chats: [] });
  });
}
