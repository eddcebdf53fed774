/** Webhook configs and their health counters (schema webhook_delivery.webhooks). */
import type { DataSource } from '@wahooks/db';
import type { WebhookConfig } from '@wahooks/contracts';
import { rows } from './sql.js';

export interface WebhookRow {
  id: string;
  user_id: string;
  connection_id: string;
  url: string;
  events: string[];
  signing_secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  active: boolean;
  consecutive_failures: number;
  failing_since: Date | null;
  disabled_reason: 'gone' | 'failing' | null;
  disabled_at: Date | null;
  disable_unpublished: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface DisabledWebhookRow {
  id: string;
  user_id: string;
  connection_id: string;
  url: string;
  disabled_reason: 'gone' | 'failing';
  disabled_at: Date;
}

export const toWebhookConfig = (r: WebhookRow): WebhookConfig => ({
  id: r.id,
  userId: r.user_id,
  sessionId: r.connection_id,
  url: r.url,
  events: r.events,
  signingSecret: r.signing_secret,
  active: r.active,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

export function createWebhooksRepo(db: DataSource) {
  const one = async (sql: string, params: unknown[]): Promise<WebhookRow | null> => {
    return (await rows<WebhookRow>(db, sql, params))[0] ?? null;
  };
  return {
    list: (connectionId: string) =>
      rows<WebhookRow>(db, 'SELECT * FROM webhooks WHERE connection_id = $1 ORDER BY created_at, id', [connectionId]),

    get: (id: string) => (isUuid(id) ? one('SELECT * FROM webhooks WHERE id = $1', [id]) : Promise.resolve(null)),

    create: (w: { userId: string; connectionId: string; url: string; events: string[]; secret: string }) =>
      one(
        `INSERT INTO webhooks (user_id, connection_id, url, events, signing_secret) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [w.userId, w.connectionId, w.url, w.events, w.secret],
      ) as Promise<WebhookRow>,

    /** Re-activating clears the failure counters (the auto-disable clock starts over) and a pending disable event. */
    update: (id: string, patch: { url?: string; events?: string[]; active?: boolean }) =>
      one(
        `UPDATE webhooks SET url = COALESCE($2, url), events = COALESCE($3, events), active = COALESCE($4, active),
           consecutive_failures = CASE WHEN $4 IS TRUE AND NOT active THEN 0 ELSE consecutive_failures END,
           failing_since = CASE WHEN $4 IS TRUE AND NOT active THEN NULL ELSE failing_since END,
           disabled_reason = CASE WHEN $4 IS TRUE AND NOT active THEN NULL ELSE disabled_reason END,
           disable_unpublished = CASE WHEN $4 IS TRUE AND NOT active THEN false ELSE disable_unpublished END,
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, patch.url ?? null, patch.events ?? null, patch.active ?? null],
      ),

    delete: async (id: string) => {
      await db.query('DELETE FROM webhooks WHERE id = $1', [id]);
    },

    rotate: (id: string, secret: string, graceMs: number) =>
      one(
        `UPDATE webhooks SET previous_secret = signing_secret, signing_secret = $2,
           previous_secret_expires_at = now() + ($3::bigint * interval '1 millisecond'), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, secret, graceMs],
      ),

    /** Auto-disabled webhooks whose `webhook.disabled` event is not published yet (the outbox). */
    unpublishedDisables: (limit: number) =>
      rows<DisabledWebhookRow>(
        db,
        `SELECT id, user_id, connection_id, url, disabled_reason, disabled_at FROM webhooks
         WHERE disable_unpublished ORDER BY id LIMIT $1`,
        [limit],
      ),

    /** The `webhook.disabled` event of this disable is out. */
    markDisablePublished: async (id: string) => {
      await db.query('UPDATE webhooks SET disable_unpublished = false WHERE id = $1', [id]);
    },
  };
}
export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
