/**
 * The connection service's events this service keeps up with:
 * - `message.ack` (inside `connection.whatsapp.event`): delivery/read receipts of messages sent through the API
 *   move their status forward; receipts of messages sent from the phone find no row and change nothing.
 * - `session.status`: the connection projection's status (the 409 check), newest fact wins.
 * - `connection.connection.created/deleted`: who owns which connection.
 * Every handler is idempotent (a status history row per status, a status only moving forward, facts by time):
 * delivery is at least once.
 */
import type { EventHandler } from '@wahooks/broker';
import type { ConnectionCreated, ConnectionDeleted, WhatsAppEvent } from '@wahooks/contracts';
import type { ConnectionStatus, ConnectionsRepo } from '../adapters/connections-repo.js';
import type { MessagesRepo } from '../adapters/messages-repo.js';
import { parseMessageRef } from '../domain/chat-id.js';
import { statusOfAck } from '../domain/status.js';

/** WAHA session statuses (session.status payloads) → the connection service's statuses. */
const SESSION_STATUS: Record<string, ConnectionStatus> = {
  STARTING: 'pending',
  SCAN_QR_CODE: 'scan_qr',
  WORKING: 'working',
  FAILED: 'failed',
  STOPPED: 'stopped',
};

interface AckPayload {
  id?: unknown;
  ack?: unknown;
  fromMe?: unknown;
}

export const onWhatsAppEvent =
  (deps: { messages: MessagesRepo; connections: ConnectionsRepo }): EventHandler<typeof WhatsAppEvent> =>
  async (event) => {
    if (event.event === 'message.ack') {
      const p = (event.payload ?? {}) as AckPayload;
      if (p.fromMe !== true || typeof p.id !== 'string' || typeof p.ack !== 'number') return;
      const status = statusOfAck(p.ack);
      const ref = parseMessageRef(p.id);
      if (!status || !ref) return;
      await deps.messages.advance(event.connectionId, ref.id, status, new Date(event.timestamp));
      return;
    }
    if (event.event === 'session.status') {
      const raw = (event.payload as { status?: unknown } | null)?.status;
      const status = typeof raw === 'string' ? SESSION_STATUS[raw] : undefined;
      if (status) await deps.connections.record(event.connectionId, event.userId, status, event.timestamp);
    }
  };

export const onConnectionCreated =
  (connections: ConnectionsRepo): EventHandler<typeof ConnectionCreated> =>
  async ({ connectionId, userId }) =>
    connections.created(connectionId, userId);

export const onConnectionDeleted =
  (connections: ConnectionsRepo): EventHandler<typeof ConnectionDeleted> =>
  async ({ connectionId, userId }, envelope) =>
    connections.record(connectionId, userId, 'stopped', Date.parse(envelope.occurredAt) || Date.now());
