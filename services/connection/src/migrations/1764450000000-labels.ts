/**
 * WhatsApp Business labels each connection has seen (app-state sync), and the chats they are on: what the label
 * events carry (`label.chat.added` names its label) and `GET …/labels` lists. Written from Baileys' `labels.edit`
 * and `labels.association` (labels/labels-repo.ts); deleted labels stay, marked, as WhatsApp keeps them.
 */
import type { MigrationInterface, QueryRunner } from '@wahooks/db';

export class Labels1764450000000 implements MigrationInterface {
  name = 'Labels1764450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE connection.labels (
       connection_id uuid NOT NULL,
       label_id text NOT NULL,
       name text NOT NULL,
       color integer NOT NULL,
       deleted boolean NOT NULL DEFAULT false,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (connection_id, label_id))`);
    await q.query(`CREATE TABLE connection.label_chats (
       connection_id uuid NOT NULL,
       label_id text NOT NULL,
       chat_id text NOT NULL,
       PRIMARY KEY (connection_id, label_id, chat_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE connection.label_chats`);
    await q.query(`DROP TABLE connection.labels`);
  }
}
