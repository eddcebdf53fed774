/**
 * The message window was keyed by the WhatsApp message id alone, which the sender chooses: a group member could
 * send a message with another message's id and replace it (its media, what a reply quotes, what a retry resends).
 * Rows are now keyed by chat, sender and id (session-store.ts `storeKeyOf`). Rows written before have sender ''
 * and are found by their own decoded key (session-store.ts).
 */
import type { MigrationInterface, QueryRunner } from '@wahooks/db';

export class MessagesByChatSender1764300000000 implements MigrationInterface {
  name = 'MessagesByChatSender1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connection.messages ADD COLUMN sender text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE connection.messages DROP CONSTRAINT messages_pkey`);
    await q.query(`ALTER TABLE connection.messages ADD PRIMARY KEY (connection_id, chat_id, sender, key_id)`);
    // lookups by id (then filtered by chat and sender): media downloads, quoted messages, retries
    await q.query(`CREATE INDEX messages_key ON connection.messages (connection_id, key_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX connection.messages_key`);
    await q.query(`ALTER TABLE connection.messages DROP CONSTRAINT messages_pkey`);
    // keeps the newest row of each id, as the old key allowed only one
    await q.query(`DELETE FROM connection.messages a USING connection.messages b
       WHERE a.connection_id = b.connection_id AND a.key_id = b.key_id AND a.ctid < b.ctid`);
    await q.query(`ALTER TABLE connection.messages ADD PRIMARY KEY (connection_id, key_id)`);
    await q.query(`ALTER TABLE connection.messages DROP COLUMN sender`);
  }
}
