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
  // Lifecycle events (connection created/deleted) share the outbox; `event_type` names their contract. They are
  // relayed by every replica, since a new connection has no owner yet.
  `ALTER TABLE connection.outbox ADD COLUMN IF NOT EXISTS event_type text NOT NULL DEFAULT 'connection.whatsapp.event'`,
  `CREATE INDEX IF NOT EXISTS outbox_unsent_lifecycle ON connection.outbox (seq)
     WHERE sent_at IS NULL AND event_type <> 'connection.whatsapp.event'`,
  // Connections ("waha_sessions" in SPEC §2). `owner` is the replica holding the session (informational).
  `CREATE TABLE IF NOT EXISTS connection.connections (
     id uuid PRIMARY KEY,
     user_id uuid NOT NULL,
     name text,
     session_name text NOT NULL UNIQUE,
     phone_number text,
     status text NOT NULL DEFAULT 'pending'
       CHECK (status IN ('pending', 'scan_qr', 'working', 'failed', 'stopped')),
     status_reason text,
     engine text NOT NULL DEFAULT 'NOWEB',
     owner text,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS connections_user ON connection.connections (user_id, created_at DESC)`,
  // Recent chats per connection, from Baileys chat and message events (Baileys keeps no store).
  `CREATE TABLE IF NOT EXISTS connection.chats (
     connection_id uuid NOT NULL,
     chat_id text NOT NULL,
     name text,
     conversation_timestamp bigint NOT NULL DEFAULT 0,
     unread_count integer NOT NULL DEFAULT 0,
     archived boolean NOT NULL DEFAULT false,
     PRIMARY KEY (connection_id, chat_id))`,
  `CREATE INDEX IF NOT EXISTS chats_recent ON connection.chats (connection_id, conversation_timestamp DESC)`,
  // A window of recent messages (protobuf WebMessageInfo): getMessage for retries, media download, revokes.
  `CREATE TABLE IF NOT EXISTS connection.messages (
     connection_id uuid NOT NULL,
     key_id text NOT NULL,
     chat_id text NOT NULL,
     from_me boolean NOT NULL,
     ts bigint NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (connection_id, key_id))`,
  `CREATE INDEX IF NOT EXISTS messages_chat ON connection.messages (connection_id, chat_id, ts DESC)`,
];

export async function migrate(sql: Sql): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    for (const s of statements) await tx.query(s);
  });
}
