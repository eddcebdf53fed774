/** Writing events: inside the caller's transaction, so an event exists exactly when the change it reports does. */
import { newEventId, type AnyEvent, type PayloadOf } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { currentTraceParent } from '@wahooks/telemetry';
import { statementsOf } from './statements.js';
import { defaultOutboxTable, type OutboxTable } from './table.js';

export interface OutboxEntry<E extends AnyEvent = AnyEvent> {
  event: E; // the contract, from @wahooks/contracts
  payload: PayloadOf<E>;
  /** The envelope id (AMQP messageId, the consumers' idempotency key); default `newEventId()`. */
  id?: string;
  /** What the event is about: rows of one key are published in order (see OUTBOX_TABLE_DDL). */
  partitionKey?: string;
  /** Drops this entry when the same key already stored an entry with this dedupe key. */
  dedupeKey?: string;
  /**
   * The W3C traceparent the relay's publish continues (tables with a `traceColumn` only); default: the span
   * active when `writeOutbox` runs. Set it when rows of several traces are written together (a group commit).
   */
  traceParent?: string;
}

/** Builds an entry with its payload type-checked against the contract. */
export function outboxEntry<E extends AnyEvent>(
  event: E,
  payload: PayloadOf<E>,
  options: Pick<OutboxEntry<E>, 'id' | 'partitionKey' | 'dedupeKey' | 'traceParent'> = {},
): OutboxEntry<E> {
  return { event, payload, ...options };
}

/**
 * Appends `entries` in array order (so `seq` follows it) with one statement, and returns the event ids written:
 * an entry whose dedupe key (or id) is already stored is skipped. Call it with the transaction that makes the
 * change (`sql.transaction(async (tx) => { …; await writeOutbox(tx, [...]) })`), then `relay.kick()` after the
 * commit. A payload that fails its contract throws here, so a bad row never reaches the relay.
 */
export async function writeOutbox(
  tx: Sql,
  entries: readonly OutboxEntry[],
  table: OutboxTable = defaultOutboxTable,
): Promise<string[]> {
  if (entries.length === 0) return [];
  const ids: string[] = [];
  const types: string[] = [];
  const keys: (string | null)[] = [];
  const dedupe: (string | null)[] = [];
  const bodies: string[] = [];
  const traces: (string | null)[] = [];
  const active = table.traceColumn ? currentTraceParent() : undefined;
  for (const e of entries) {
    const checked = e.event.payload.safeParse(e.payload);
    if (!checked.success) throw new Error(`outbox: ${e.event.type} payload fails its schema: ${checked.error.message}`);
    ids.push(e.id ?? newEventId());
    types.push(e.event.type);
    keys.push(e.partitionKey ?? null);
    dedupe.push(e.dedupeKey ?? null);
    bodies.push(JSON.stringify(e.payload));
    traces.push(e.traceParent ?? active ?? null);
  }
  const s = statementsOf(table);
  const params = table.traceColumn ? [ids, types, keys, dedupe, bodies, traces] : [ids, types, keys, dedupe, bodies];
  const rows = await tx.prepared<{ event_id: string }>(`${s.id}:write`, s.insert, params);
  return rows.map((r) => r.event_id);
}
