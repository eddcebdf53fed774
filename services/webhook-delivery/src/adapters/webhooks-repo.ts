/** Webhook configs and their health counters (schema webhook_delivery.webhooks). */
import { isUuid, WebhookDisabled, type WebhookConfig } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';

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

export function createWebhooksRepo(sql: Sql) {
  const one = async (text: string, params: unknown[]): Promise<WebhookRow | null> => {
    return (await sql.query<WebhookRow>(text, params))[0] ?? null;
  };
  return {
    list: (connectionId: string) =>
      sql.query<WebhookRow>('SELECT * FROM webhooks WHERE connection_id = $1 ORDER BY created_at, id', [connectionId]),

    get: (id: string) => (isUuid(id) ? one('SELECT * FROM webhooks WHERE id = $1', [id]) : Promise.resolve(null)),

    /**
     * Inserts unless the connection already has `max` webhooks (then null). The count and the insert run under a
     * per-connection lock, so concurrent creates cannot both take the last place.
     */
    create: (w: { userId: string; connectionId: string; url: string; events: string[]; secret: string }, max: number) =>
      sql.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('wahooks:webhooks:' || $1))`, [w.connectionId]);
        const [count] = await tx.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM webhooks WHERE connection_id = $1',
          [w.connectionId],
        );
        if ((count?.n ?? 0) >= max) return null;
        const [row] = await tx.query<WebhookRow>(
          `INSERT INTO webhooks (user_id, connection_id, url, events, signing_secret) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [w.userId, w.connectionId, w.url, w.events, w.secret],
        );
        return row!;
      }),

    /**
     * Re-activating clears the failure counters (the auto-disable clock starts over) and drops a disable event
     * still waiting in the outbox (one the relay holds is published: the delete waits for its row lock).
     */
    update: (id: string, patch: { url?: string; events?: string[]; active?: boolean }) =>
      one(
        `WITH reactivated AS (
           SELECT id::text AS key FROM webhooks WHERE id = $1 AND $4 IS TRUE AND NOT active
         ), dropped AS (
           DELETE FROM outbox WHERE partition_key IN (SELECT key FROM reactivated) AND event_type = $5 AND sent_at IS NULL
         )
         UPDATE webhooks SET url = COALESCE($2, url), events = COALESCE($3, events), active = COALESCE($4, active),
           consecutive_failures = CASE WHEN $4 IS TRUE AND NOT active THEN 0 ELSE consecutive_failures END,
           failing_since = CASE WHEN $4 IS TRUE AND NOT active THEN NULL ELSE failing_since END,
           disabled_reason = CASE WHEN $4 IS TRUE AND NOT active THEN NULL ELSE disabled_reason END,
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, patch.url ?? null, patch.events ?? null, patch.active ?? null, WebhookDisabled.type],
      ),

    delete: async (id: string) => {
      await sql.query('DELETE FROM webhooks WHERE id = $1', [id]);
    },

    rotate: (id: string, secret: string, graceMs: number) =>
      one(
        `UPDATE webhooks SET previous_secret = signing_secret, signing_secret = $2,
           previous_secret_expires_at = now() + ($3::bigint * interval '1 millisecond'), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, secret, graceMs],
      ),
  };
}
export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
