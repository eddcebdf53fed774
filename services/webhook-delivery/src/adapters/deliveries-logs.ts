/** Reads for the delivery logs API (newest first, by pages), and the reset a replay starts with. */
import type { Sql } from '@wahooks/db';

export interface LogRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  delivered_at: Date | null;
  created_at: Date;
  body: string;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
}

export function logQueries(sql: Sql) {
  return {
    /** Newest first; `before` is a delivery id of the same webhook (the previous page's last row). */
    async listLogs(webhookId: string, f: { status?: string; event?: string; before?: string; limit: number }) {
      const logs = await sql.query<LogRow>(
        `SELECT d.id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts, d.delivered_at, d.created_at, e.body
         FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.webhook_id = $1
           AND ($2::text IS NULL OR d.status = $2)
           AND ($3::text IS NULL OR d.event_type = $3)
           AND ($4::uuid IS NULL OR (d.created_at, d.id) < (SELECT created_at, id FROM deliveries WHERE id = $4 AND webhook_id = $1))
         ORDER BY d.created_at DESC, d.id DESC
         LIMIT $5`,
        [webhookId, f.status ?? null, f.event ?? null, f.before ?? null, f.limit + 1],
      );
      const page = logs.slice(0, f.limit);
      const attempts = page.length
        ? await sql.query<AttemptRow>('SELECT * FROM attempts WHERE delivery_id = ANY ($1::uuid[]) ORDER BY attempt', [
            page.map((l) => l.id),
          ])
        : [];
      return { page, attempts, hasMore: logs.length > f.limit };
    },

    async get(id: string) {
      const [r] = await sql.query<{ id: string; webhook_id: string; status: string; attempts: number }>(
        'SELECT id, webhook_id, status, attempts FROM deliveries WHERE id = $1',
        [id],
      );
      return r ?? null;
    },

    /**
     * Starts a new series of attempts (a replay); null when the delivery is still pending, unless its next
     * attempt is overdue by more than `staleAfterMs` (its queue message was lost).
     */
    async resetForReplay(id: string, staleAfterMs: number): Promise<number | null> {
      const [r] = await sql.query<{ attempts: number }>(
        `WITH d AS (
           UPDATE deliveries SET status = 'pending', series_start = attempts, forced = true, next_attempt_at = now(),
             delivered_at = NULL
           WHERE id = $1 AND (status <> 'pending'
             OR COALESCE(next_attempt_at, created_at) < now() - $2::bigint * interval '1 millisecond')
           RETURNING id, attempts
         ), pend AS (
           INSERT INTO pending_deliveries (delivery_id, due_at) SELECT id, now() FROM d
           ON CONFLICT (delivery_id) DO UPDATE SET due_at = excluded.due_at
         )
         SELECT attempts FROM d`,
        [id, staleAfterMs],
      );
      return r ? r.attempts : null;
    },
  };
}
