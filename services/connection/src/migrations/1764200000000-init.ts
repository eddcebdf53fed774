/**
 * Schema `connection`, as the service laid it out before it kept a migration history. Every statement is
 * idempotent (IF NOT EXISTS) on purpose: a database created by that code has these tables but no
 * `connection.migrations` table, so this migration runs there too and must leave the existing tables and rows
 * as they are. Later migrations need not be idempotent: they run once, recorded in the history.
 */
import type { MigrationInterface, QueryRunner } from '@wahooks/db';

export class ConnectionInit1764200000000 implements MigrationInterface {
  name = 'ConnectionInit1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // Baileys credentials: the whole AuthenticationCreds object, BufferJSON-encoded text.
    await q.query(`CREATE TABLE IF NOT EXISTS connection.auth_creds (
       connection_id uuid PRIMARY KEY,
       data text NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now())`);
    // Signal key store rows (pre-key, session, sender-key, app-state-*, lid-mapping, …).
    await q.query(`CREATE TABLE IF NOT EXISTS connection.auth_keys (
       connection_id uuid NOT NULL,
       type text NOT NULL,
       id text NOT NULL,
       data text NOT NULL,
       PRIMARY KEY (connection_id, type, id))`);
    // Highest fencing token that has written a session's auth state; older owners are refused.
    await q.query(`CREATE TABLE IF NOT EXISTS connection.session_fences (
       connection_id uuid PRIMARY KEY,
       token bigint NOT NULL)`);
    // Transactional outbox: WhatsApp events written as they are taken from Baileys, relayed with confirms.
    // `seq` orders the relay; `dedupe_key` drops a fact Baileys delivers twice (notify + append, offline replay).
    await q.query(`CREATE TABLE IF NOT EXISTS connection.outbox (
       seq bigserial PRIMARY KEY,
       connection_id uuid NOT NULL,
       event_id text NOT NULL UNIQUE,
       dedupe_key text,
       body text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       sent_at timestamptz)`);
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe ON connection.outbox (connection_id, dedupe_key)
       WHERE dedupe_key IS NOT NULL`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS outbox_unsent ON connection.outbox (connection_id, seq) WHERE sent_at IS NULL`,
    );
    // Lifecycle events (connection created/deleted) share the outbox; `event_type` names their contract. They are
    // relayed by every replica, since a new connection has no owner yet. (Added after the table: databases from
    // before lack the column.)
    await q.query(`ALTER TABLE connection.outbox
       ADD COLUMN IF NOT EXISTS event_type text NOT NULL DEFAULT 'connection.whatsapp.event'`);
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_unsent_lifecycle ON connection.outbox (seq)
       WHERE sent_at IS NULL AND event_type <> 'connection.whatsapp.event'`);
    // Connections ("waha_sessions" in the original API). `owner` is the replica holding the session (informational).
    await q.query(`CREATE TABLE IF NOT EXISTS connection.connections (
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
       updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX IF NOT EXISTS connections_user ON connection.connections (user_id, created_at DESC)`);
    // Recent chats per connection, from Baileys chat and message events (Baileys keeps no store).
    await q.query(`CREATE TABLE IF NOT EXISTS connection.chats (
       connection_id uuid NOT NULL,
       chat_id text NOT NULL,
       name text,
       conversation_timestamp bigint NOT NULL DEFAULT 0,
       unread_count integer NOT NULL DEFAULT 0,
       archived boolean NOT NULL DEFAULT false,
       PRIMARY KEY (connection_id, chat_id))`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS chats_recent ON connection.chats (connection_id, conversation_timestamp DESC)`,
    );
    // A window of recent messages (protobuf WebMessageInfo): getMessage for retries, media download, revokes.
    await q.query(`CREATE TABLE IF NOT EXISTS connection.messages (
       connection_id uuid NOT NULL,
       key_id text NOT NULL,
       chat_id text NOT NULL,
       from_me boolean NOT NULL,
       ts bigint NOT NULL,
       data bytea NOT NULL,
       PRIMARY KEY (connection_id, key_id))`);
    await q.query(`CREATE INDEX IF NOT EXISTS messages_chat ON connection.messages (connection_id, chat_id, ts DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['messages', 'chats', 'connections', 'outbox', 'session_fences', 'auth_keys', 'auth_creds']) {
      await q.query(`DROP TABLE IF EXISTS connection.${table}`);
    }
  }
}
