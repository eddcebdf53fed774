/**
 * The `connection` schema. Each statement is idempotent and they run in order at start-up under an advisory
 * lock, so replicas starting together do not race.
 */
import type { Sql } from './sql.js';

const MIGRATION_LOCK = 0x636f6e6e; // "conn"

export const statements: string[] = [
  `CREATE SCHEMA IF NOT EXISTS connection`,
  // Baileys credentials: the whole AuthenticationCreds object, BufferJSON-encoded text.
  `CREATE TABLE IF NOT EXISTS connection.auth_creds (
     connection_id uuid PRIMARY KEY,
     data text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now())`,
  // Signal key store rows (pre-key, session, sender-key, app-state-*, lid-mapping, …).
  `CREATE TABLE IF NOT EXISTS connection.auth_keys (
     connection_id uuid NOT NULL,
     type text NOT NULL,
     id text NOT NULL,
     data text NOT NULL,
     PRIMARY KEY (connection_id, type, id))`,
  // Highest fencing token that has written a session's auth state; older owners are refused.
  `CREATE TABLE IF NOT EXISTS connection.session_fences (
     connection_id uuid PRIMARY KEY,
     token bigint NOT NULL)`,
  // Transactional outbox: WhatsApp events written as they are taken from Baileys, relayed with confirms.
  // `seq` orders the relay; `dedupe_key` drops a fact Baileys delivers twice (notify + append, offline replay).
  `CREATE TABLE IF NOT EXISTS connection.outbox (
     seq bigserial PRIMARY KEY,
     connection_id uuid NOT NULL,
     event_id text NOT NULL UNIQUE,
     dedupe_key text,
     body text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     sent_at timestamptz)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe ON connection.outbox (connection_id, dedupe_key)
     WHERE dedupe_key IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS outbox_unsent ON connection.outbox (connection_id, seq) WHERE sent_at IS NULL`,
];

export async function migrate(sql: Sql): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    for (const s of statements) await tx.query(s);
  });
}
