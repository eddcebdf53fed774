import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schema `messaging`: a projection of who owns which connection and its status (from the connection service's
 * events), the messages sent through the API with their status history, per-chat sequence numbers (send order),
 * and idempotency keys.
 */
export class MessagingInit1767225600000 implements MigrationInterface {
  name = 'MessagingInit1767225600000';

  async up(q: QueryRunner): Promise<void> {
    // status_at: ms of the fact that set `status` (event timestamp, or when the connection service was asked).
    await q.query(`
      CREATE TABLE "messaging"."connections" (
        "id" uuid PRIMARY KEY,
        "user_id" uuid NOT NULL,
        "status" text NOT NULL,
        "status_at" bigint NOT NULL DEFAULT 0
      )`);
    // The order the API accepted sends to one chat in: the last number handed out.
    await q.query(`
      CREATE TABLE "messaging"."chat_sequences" (
        "connection_id" uuid NOT NULL,
        "chat_id" text NOT NULL,
        "last_seq" bigint NOT NULL,
        PRIMARY KEY ("connection_id", "chat_id")
      )`);
    // message_id: the bare WhatsApp id, chosen here before the first try. turn_open: the message still holds its
    // place in the chat's queue (later sends wait for it), at most until turn_until (its request's deadline), so a
    // crashed replica's message cannot hold up the chat for ever.
    await q.query(`
      CREATE TABLE "messaging"."messages" (
        "connection_id" uuid NOT NULL,
        "message_id" text NOT NULL,
        "user_id" uuid NOT NULL,
        "chat_id" text NOT NULL,
        "type" text NOT NULL,
        "status" text NOT NULL DEFAULT 'pending',
        "error" text,
        "chat_seq" bigint NOT NULL,
        "turn_open" boolean NOT NULL DEFAULT true,
        "turn_until" timestamptz NOT NULL,
        "sent_at" bigint,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("connection_id", "message_id")
      )`);
    await q.query(`
      CREATE INDEX "messages_open_turns_idx"
        ON "messaging"."messages" ("connection_id", "chat_id", "chat_seq") WHERE "turn_open"`);
    await q.query(`CREATE INDEX "messages_created_idx" ON "messaging"."messages" ("created_at")`);
    await q.query(`
      CREATE TABLE "messaging"."message_statuses" (
        "connection_id" uuid NOT NULL,
        "message_id" text NOT NULL,
        "status" text NOT NULL,
        "at" timestamptz NOT NULL,
        PRIMARY KEY ("connection_id", "message_id", "status"),
        FOREIGN KEY ("connection_id", "message_id")
          REFERENCES "messaging"."messages" ("connection_id", "message_id") ON DELETE CASCADE
      )`);
    // state: running (a request is sending it, until lease_until), unknown (its outcome is unknown: the next try
    // re-sends the same message_id), done (response is the answer to replay).
    await q.query(`
      CREATE TABLE "messaging"."idempotency_keys" (
        "user_id" uuid NOT NULL,
        "key" text NOT NULL,
        "fingerprint" char(64) NOT NULL,
        "message_id" text NOT NULL,
        "state" text NOT NULL,
        "lease_until" timestamptz NOT NULL,
        "response" jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("user_id", "key")
      )`);
    await q.query(`CREATE INDEX "idempotency_keys_created_idx" ON "messaging"."idempotency_keys" ("created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messaging"."idempotency_keys"`);
    await q.query(`DROP TABLE "messaging"."message_statuses"`);
    await q.query(`DROP TABLE "messaging"."messages"`);
    await q.query(`DROP TABLE "messaging"."chat_sequences"`);
    await q.query(`DROP TABLE "messaging"."connections"`);
  }
}
