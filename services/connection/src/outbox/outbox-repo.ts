/**
 * The connection service's outbox, on @wahooks/outbox: `connection.outbox`, whose partition key is the
 * connection (`connection_id uuid`, the column the table had before the library). WhatsApp events of a
 * connection are written by its session owner as they are taken from Baileys; lifecycle events (created/deleted)
 * by whichever replica ran the command, in the transaction that changed the row.
 */
import {
  ConnectionCreated,
  ConnectionDeleted,
  WhatsAppEvent,
  type AnyEvent,
  type WhatsAppEventPayload,
} from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { outboxEntry, outboxTable, purgeSent as purgeSentRows, unsentRows, writeOutbox } from '@wahooks/outbox';

/** `trace_parent`: the traceparent of the Baileys-event span that wrote the row, continued by the relay's publish. */
export const connectionOutbox = outboxTable({
  name: 'connection.outbox',
  keyColumn: 'connection_id',
  keyType: 'uuid',
  traceColumn: 'trace_parent',
});

/** Every event type the table holds; WhatsApp events are relayed by the connection's owner only. */
export const outboxEvents: readonly AnyEvent[] = [WhatsAppEvent, ConnectionCreated, ConnectionDeleted];
const lifecycleEvents = new Map<string, AnyEvent>([ConnectionCreated, ConnectionDeleted].map((e) => [e.type, e]));

export interface OutboxEntry {
  envelope: WhatsAppEventPayload;
  dedupeKey?: string;
  /** The W3C traceparent of the Baileys batch it came from (the group writer commits several batches at once). */
  traceParent?: string;
}

export interface OutboxRow {
  seq: string; // bigint as text
  connectionId: string;
  eventId: string;
  eventType: string; // the event contract's type, e.g. connection.whatsapp.event
  body: string; // the payload as JSON
}

/**
 * Appends one lifecycle event (connection created/deleted) of `connectionId`. Call it inside the transaction
 * that writes the row, so the event exists exactly when the change does.
 */
export async function appendLifecycleEvent(
  sql: Sql,
  connectionId: string,
  eventType: string,
  payload: unknown,
): Promise<void> {
  const event = lifecycleEvents.get(eventType);
  if (!event) throw new Error(`outbox: ${eventType} is not a connection lifecycle event`);
  await writeOutbox(sql, [outboxEntry(event, payload, { partitionKey: connectionId })], connectionOutbox);
}

/** Inserts in array order (so `seq` follows it); entries whose dedupe key was already stored are skipped. */
export async function appendToOutbox(sql: Sql, connectionId: string, entries: OutboxEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const written = await writeOutbox(
    sql,
    entries.map((e) =>
      outboxEntry(WhatsAppEvent, e.envelope, {
        id: e.envelope.id,
        partitionKey: connectionId,
        dedupeKey: e.dedupeKey,
        traceParent: e.traceParent,
      }),
    ),
    connectionOutbox,
  );
  return written.length;
}

/**
 * The oldest unsent rows; `connectionIds` limits WhatsApp events to the sessions this replica owns, while
 * lifecycle rows are always included (their connection may have no owner yet).
 */
export async function unsent(sql: Sql, limit: number, connectionIds?: string[]): Promise<OutboxRow[]> {
  const scope = connectionIds ? { partitioned: [WhatsAppEvent.type], keys: connectionIds } : undefined;
  return (await unsentRows(sql, limit, scope, connectionOutbox)).map((r) => ({
    seq: r.seq,
    connectionId: r.partitionKey!,
    eventId: r.eventId,
    eventType: r.eventType,
    body: r.body,
  }));
}

/** Deletes sent rows older than `olderThanMs`; their dedupe keys stop protecting against replays after that. */
export const purgeSent = (sql: Sql, olderThanMs: number): Promise<number> =>
  purgeSentRows(sql, olderThanMs, connectionOutbox);
