import { newEventId, WebhookDisabled } from '@wahooks/contracts';
import type { MigrationInterface, QueryRunner } from '@wahooks/db';
import { OUTBOX_TABLE_DDL } from '@wahooks/outbox';
import type { DisabledWebhookRow } from '../adapters/webhooks-repo.js';
import { webhookDisabledEntry } from '../adapters/webhook-disabled-event.js';

/**
 * `webhook.disabled` moves from the one-row outbox of 1764250000000 (`webhooks.disable_unpublished`) to the
 * service's `outbox` table (@wahooks/outbox). A disable whose event was still unpublished becomes an outbox row,
 * so it is not lost across the upgrade.
 */
export class Outbox1764270000000 implements MigrationInterface {
  name = 'Outbox1764270000000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of OUTBOX_TABLE_DDL) await q.query(statement);
    const pending = (await q.query(
      `SELECT id, user_id, connection_id, url, disabled_reason, disabled_at FROM webhooks
       WHERE disable_unpublished AND disabled_reason IS NOT NULL AND disabled_at IS NOT NULL ORDER BY disabled_at, id`,
    )) as DisabledWebhookRow[];
    for (const w of pending) {
      const e = webhookDisabledEntry(w);
      await q.query('INSERT INTO outbox (event_id, event_type, partition_key, body) VALUES ($1, $2, $3, $4)', [
        newEventId(),
        e.event.type,
        e.partitionKey,
        JSON.stringify(e.payload),
      ]);
    }
    await q.query('DROP INDEX webhooks_disable_unpublished_idx');
    await q.query('ALTER TABLE webhooks DROP COLUMN disable_unpublished');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE webhooks ADD COLUMN disable_unpublished boolean NOT NULL DEFAULT false');
    await q.query('CREATE INDEX webhooks_disable_unpublished_idx ON webhooks (id) WHERE disable_unpublished');
    await q.query(
      `UPDATE webhooks w SET disable_unpublished = true FROM outbox o
       WHERE o.partition_key = w.id::text AND o.event_type = $1 AND o.sent_at IS NULL`,
      [WebhookDisabled.type],
    );
    await q.query('DROP TABLE outbox');
  }
}
