/** The SQL of one outbox table, built once per table (names come from outboxTable(), which checked them). */
import { createHash } from 'node:crypto';
import type { OutboxTable } from './table.js';

export interface OutboxStatements {
  /** Prefix of the prepared statements' names: one text per name and table. */
  id: string;
  insert: string;
  unsent: string;
  /** Unsent rows of `partitioned` types only for keys $2, of every other type whatever their key. */
  unsentScoped(partitioned: readonly string[]): string;
  lock: string;
  markSent: string;
  stillUnsent: string;
  purge: string;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const cache = new WeakMap<OutboxTable, OutboxStatements>();

export function statementsOf(table: OutboxTable): OutboxStatements {
  const cached = cache.get(table);
  if (cached) return cached;
  const { name: t, keyColumn: k, keyType, traceColumn: tc } = table;
  const columns = `seq, event_id, event_type, ${k} AS partition_key, body${tc ? `, ${tc} AS trace_parent` : ''}`;
  const statements: OutboxStatements = {
    // Postgres keeps 63 bytes of a statement name: a digest of the table's identity stays short and unique.
    id: `wahooks_outbox:${createHash('sha256')
      .update(`${t}:${k}:${tc ?? ''}`)
      .digest('hex')
      .slice(0, 16)}`,
    // With a trace column, $6 holds each row's traceparent (NULL when untraced).
    insert: tc
      ? `INSERT INTO ${t} (event_id, event_type, ${k}, dedupe_key, body, ${tc})
      SELECT i, t, k, d, b, p FROM unnest($1::text[], $2::text[], $3::${keyType}[], $4::text[], $5::text[], $6::text[])
        WITH ORDINALITY AS u(i, t, k, d, b, p, n)
      ORDER BY n
      ON CONFLICT DO NOTHING
      RETURNING event_id`
      : `INSERT INTO ${t} (event_id, event_type, ${k}, dedupe_key, body)
      SELECT i, t, k, d, b FROM unnest($1::text[], $2::text[], $3::${keyType}[], $4::text[], $5::text[])
        WITH ORDINALITY AS u(i, t, k, d, b, n)
      ORDER BY n
      ON CONFLICT DO NOTHING
      RETURNING event_id`,
    unsent: `SELECT ${columns} FROM ${t} WHERE sent_at IS NULL ORDER BY seq LIMIT $1`,
    // The event types go in as literals, so the planner can use a partial index on them (planned per call).
    unsentScoped: (partitioned) =>
      `SELECT ${columns} FROM ${t}
       WHERE sent_at IS NULL AND (${
         partitioned.length === 0 ? 'true' : `event_type NOT IN (${partitioned.map(literal).join(', ')})`
       } OR ${k} = ANY ($2::${keyType}[]))
       ORDER BY seq LIMIT $1`,
    lock: `SELECT seq FROM ${t} WHERE seq = ANY ($1::bigint[]) AND sent_at IS NULL ORDER BY seq FOR UPDATE`,
    markSent: `UPDATE ${t} SET sent_at = now() WHERE seq = ANY ($1::bigint[])`,
    stillUnsent: `SELECT event_id FROM ${t} WHERE event_id = ANY ($1::text[]) AND sent_at IS NULL`,
    purge: `WITH gone AS (
        DELETE FROM ${t} WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::bigint * interval '1 millisecond')
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,
  };
  cache.set(table, statements);
  return statements;
}
