/** The outbox table: append events of one connection, read the unsent ones in order, mark them sent. */
import { randomUUID } from 'node:crypto';
import { WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';
import type { Sql } from '../db/sql.js';

export interface OutboxEntry {
  envelope: WhatsAppEventPayload;
  dedupeKey?: string;
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
  await sql.query('INSERT INTO connection.outbox (connection_id, event_id, event_type, body) VALUES ($1, $2, $3, $4)', [
    connectionId,
    randomUUID(),
    eventType,
    JSON.stringify(payload),
  ]);
}

/** Inserts in array order (so `seq` follows it); entries whose dedupe key was already stored are skipped. */
export async function appendToOutbox(sql: Sql, connectionId: string, entries: OutboxEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await sql.query<{ seq: string }>(
    `INSERT INTO connection.outbox (connection_id, event_id, dedupe_key, body)
     SELECT $1, e, d, b FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(e, d, b, n)
     ORDER BY n
     ON CONFLICT DO NOTHING
     RETURNING seq`,
    [
      connectionId,
      entries.map((e) => e.envelope.id),
      entries.map((e) => e.dedupeKey ?? null),
      entries.map((e) => JSON.stringify(e.envelope)),
    ],
  );
  return rows.length;
}

/**
 * The oldest unsent rows; `connectionIds` limits WhatsApp events to the sessions this replica owns, while
 * lifecycle rows are always included (their connection may have no owner yet).
 */
export async function unsent(sql: Sql, limit: number, connectionIds?: string[]): Promise<OutboxRow[]> {
  const rows = await sql.query<{
    seq: string;
    connection_id: string;
    event_id: string;
    event_type: string;
    body: string;
  }>(
    connectionIds
      ? `SELECT seq, connection_id, event_id, event_type, body FROM connection.outbox
         WHERE sent_at IS NULL AND (connection_id = ANY($2::uuid[]) OR event_type <> $3) ORDER BY seq LIMIT $1`
      : `SELECT seq, connection_id, event_id, event_type, body FROM connection.outbox
         WHERE sent_at IS NULL ORDER BY seq LIMIT $1`,
    connectionIds ? [limit, connectionIds, WhatsAppEvent.type] : [limit],
  );
  return rows.map((r) => ({
    seq: r.seq,
    connectionId: r.connection_id,
    eventId: r.event_id,
    eventType: r.event_type,
    body: r.body,
  }));
}

/** Inside a transaction: locks one row (waiting for another holder) and tells whether it is still unsent. */
export async function lockUnsent(tx: Sql, seq: string): Promise<boolean> {
  const rows = await tx.query('SELECT 1 FROM connection.outbox WHERE seq = $1 AND sent_at IS NULL FOR UPDATE', [seq]);
  return rows.length > 0;
}

export async function markSent(sql: Sql, seqs: string[]): Promise<void> {
  if (seqs.length === 0) return;
  await sql.query('UPDATE connection.outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])', [seqs]);
}

/** Deletes sent rows older than `olderThanMs`; their dedupe keys stop protecting against replays after that. */
export async function purgeSent(sql: Sql, olderThanMs: number): Promise<number> {
  const rows = await sql.query(
    `DELETE FROM connection.outbox WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::bigint * interval '1 millisecond')
     RETURNING seq`,
    [olderThanMs],
  );
  return rows.length;
}
