/**
 * The outbox table, one per service, in the service's own schema (the `search_path` that openDatabase sets
 * makes the unqualified name `outbox` resolve there). A row is one event: its contract `event_type`, the
 * envelope id `event_id` (the idempotency key downstream), the payload as JSON text, and `sent_at`, set once
 * the broker has confirmed it. `seq` orders the relay. The partition key (`partition_key`) names what the event
 * is about (a connection, a webhook, a token): rows of one key are published in `seq` order, and a partitioned
 * relay only takes the keys it owns (see relay.ts). `dedupe_key` drops a fact written twice for the same key.
 */
import type { MigrationInterface, QueryRunner } from '@wahooks/db';

export interface OutboxTable {
  /** The table, default `outbox` (in the service's schema); may be schema-qualified. */
  readonly name: string;
  /** The partition key's column and SQL type: default `partition_key text`. */
  readonly keyColumn: string;
  readonly keyType: 'text' | 'uuid';
  /**
   * A `text` column holding the W3C `traceparent` of the span that wrote the row, so the relay's publish span
   * continues that trace (default: none, nothing stored). Needs the column (`outboxTraceMigration`).
   */
  readonly traceColumn?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Describes an outbox table. A service whose table predates this library keeps its own names: the connection
 * service's is `outbox(connection_id uuid, …)`, the same columns otherwise.
 */
export function outboxTable(options: Partial<OutboxTable> = {}): OutboxTable {
  const table: OutboxTable = {
    name: options.name ?? 'outbox',
    keyColumn: options.keyColumn ?? 'partition_key',
    keyType: options.keyType ?? 'text',
    traceColumn: options.traceColumn,
  };
  if (!table.name.split('.').every((part) => IDENT.test(part)) || table.name.split('.').length > 2)
    throw new Error(`outboxTable: invalid table name "${table.name}"`);
  if (!IDENT.test(table.keyColumn)) throw new Error(`outboxTable: invalid column name "${table.keyColumn}"`);
  if (table.keyType !== 'text' && table.keyType !== 'uuid') throw new Error(`outboxTable: invalid key type`);
  if (table.traceColumn !== undefined && !IDENT.test(table.traceColumn))
    throw new Error(`outboxTable: invalid column name "${table.traceColumn}"`);
  return table;
}

export const defaultOutboxTable: OutboxTable = outboxTable();

/** CREATE statements of a new outbox table (the default `outbox` with `partition_key text`). */
export const OUTBOX_TABLE_DDL: readonly string[] = [
  `CREATE TABLE outbox (
     seq bigserial PRIMARY KEY,
     event_id text NOT NULL UNIQUE,
     event_type text NOT NULL,
     partition_key text,
     dedupe_key text,
     body text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     sent_at timestamptz)`,
  `CREATE UNIQUE INDEX outbox_dedupe ON outbox (partition_key, dedupe_key) WHERE dedupe_key IS NOT NULL`,
  // The relay reads unsent rows oldest first: all of them, or those of its keys plus the shared ones.
  `CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL`,
  `CREATE INDEX outbox_unsent_by_key ON outbox (partition_key, seq) WHERE sent_at IS NULL`,
];

/**
 * A TypeORM migration class that creates the default table in the service's schema, e.g.
 * `export const Outbox1764270000000 = outboxMigration(1764270000000)` in the service's migrations list.
 * `timestamp` (13 digits, ms) orders it among the service's own migrations.
 */
export function outboxMigration(timestamp: number): new () => MigrationInterface {
  if (!/^\d{13}$/.test(String(timestamp))) throw new Error(`outboxMigration: ${timestamp} is not a 13-digit timestamp`);
  const name = `Outbox${timestamp}`;
  return class OutboxMigration implements MigrationInterface {
    name = name;

    async up(q: QueryRunner): Promise<void> {
      for (const statement of OUTBOX_TABLE_DDL) await q.query(statement);
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query('DROP TABLE outbox');
    }
  };
}

/**
 * A TypeORM migration class that adds the trace column (`traceColumn`, default `trace_parent`) to an existing
 * outbox table, e.g. `outboxTraceMigration(1765500000000, 'connection.outbox')`. Nullable, no default: adding it
 * rewrites nothing, and rows written untraced keep NULL.
 */
export function outboxTraceMigration(
  timestamp: number,
  tableName = 'outbox',
  column = 'trace_parent',
): new () => MigrationInterface {
  if (!/^\d{13}$/.test(String(timestamp)))
    throw new Error(`outboxTraceMigration: ${timestamp} is not a 13-digit timestamp`);
  const table = outboxTable({ name: tableName, traceColumn: column }); // checks the names
  const name = `OutboxTrace${timestamp}`;
  return class OutboxTraceMigration implements MigrationInterface {
    name = name;

    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${table.name} ADD COLUMN IF NOT EXISTS ${column} text`);
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${table.name} DROP COLUMN IF EXISTS ${column}`);
    }
  };
}
