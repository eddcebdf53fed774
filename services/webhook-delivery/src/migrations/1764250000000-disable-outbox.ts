import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/**
 * Auto-disable is written in the same statement as the attempt outcome; its `webhook.disabled` event goes
 * through this one-row outbox (`disable_unpublished`), published right after and re-published by the sweep if
 * that publish was lost.
 */
export class DisableOutbox1764250000000 implements MigrationInterface {
  name = 'DisableOutbox1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhooks ADD COLUMN disabled_reason text, ADD COLUMN disabled_at timestamptz,
        ADD COLUMN disable_unpublished boolean NOT NULL DEFAULT false;
      CREATE INDEX webhooks_disable_unpublished_idx ON webhooks (id) WHERE disable_unpublished;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE webhooks DROP COLUMN disabled_reason, DROP COLUMN disabled_at, DROP COLUMN disable_unpublished',
    );
  }
}
