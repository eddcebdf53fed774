/** The relay's reads and writes of an outbox table. */
import type { Sql } from '@wahooks/db';
import { statementsOf } from './statements.js';
import { defaultOutboxTable, type OutboxTable } from './table.js';

export interface OutboxRow {
  seq: string; // bigint as text
  eventId: string;
  eventType: string;
  partitionKey: string | null;
  body: string; // the payload as JSON
  /** The writer's W3C traceparent (tables with a trace column; null when untraced). */
  traceParent: string | null;
}

interface Raw {
  seq: string;
  event_id: string;
  event_type: string;
  partition_key: string | null;
  body: string;
  trace_parent?: string | null;
}

const toRow = (r: Raw): OutboxRow => ({
  seq: r.seq,
  eventId: r.event_id,
  eventType: r.event_type,
  partitionKey: r.partition_key,
  body: r.body,
  traceParent: r.trace_parent ?? null,
});

/**
 * The oldest unsent rows. With `scope`, rows of the `partitioned` event types only for the keys given; rows of
 * every other type whatever their key.
 */
export async function unsentRows(
  sql: Sql,
  limit: number,
  scope?: { partitioned: readonly string[]; keys: readonly string[] },
  table: OutboxTable = defaultOutboxTable,
): Promise<OutboxRow[]> {
  const s = statementsOf(table);
  const rows = scope
    ? await sql.query<Raw>(s.unsentScoped(scope.partitioned), [limit, scope.keys])
    : await sql.prepared<Raw>(`${s.id}:unsent`, s.unsent, [limit]);
  return rows.map(toRow);
}

/**
 * Inside a transaction: locks the rows among `seqs` that are still unsent, in `seq` order (so two relays locking
 * overlapping runs wait for each other instead of deadlocking), waiting for another holder, and returns them.
 */
export async function lockUnsent(tx: Sql, seqs: readonly string[], table: OutboxTable): Promise<Set<string>> {
  const rows = await tx.query<{ seq: string }>(statementsOf(table).lock, [seqs]);
  return new Set(rows.map((r) => r.seq));
}

export async function markSent(sql: Sql, seqs: readonly string[], table: OutboxTable): Promise<void> {
  if (seqs.length === 0) return;
  const s = statementsOf(table);
  await sql.prepared(`${s.id}:mark`, s.markSent, [seqs]);
}

/** Which of `eventIds` are still waiting to be published (rows purged or never committed count as done). */
export async function stillUnsent(sql: Sql, eventIds: readonly string[], table: OutboxTable): Promise<Set<string>> {
  const rows = await sql.query<{ event_id: string }>(statementsOf(table).stillUnsent, [eventIds]);
  return new Set(rows.map((r) => r.event_id));
}

/** Deletes rows sent more than `olderThanMs` ago; their dedupe keys stop protecting against replays after that. */
export async function purgeSent(
  sql: Sql,
  olderThanMs: number,
  table: OutboxTable = defaultOutboxTable,
): Promise<number> {
  const [row] = await sql.query<{ n: number }>(statementsOf(table).purge, [olderThanMs]);
  return row?.n ?? 0;
}
