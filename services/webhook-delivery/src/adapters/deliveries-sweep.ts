/** The sweep's statements: retention of settled deliveries and bodies, and pending deliveries whose task was lost. */
import type { Sql } from '@wahooks/db';

export function sweepQueries(sql: Sql) {
  return {
    /**
     * Retention: deletes up to `limit` settled deliveries created more than `olderThanMs` ago (attempts go with
     * them), then up to `limit` event bodies of that age no delivery refers to any more (incl. events that
     * matched no webhook). Pending deliveries are kept whatever their age. Returns the rows deleted.
     */
    async purgeOlderThan(olderThanMs: number, limit: number): Promise<{ deliveries: number; events: number }> {
      const [d] = await sql.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM deliveries WHERE id IN (
             SELECT id FROM deliveries
             WHERE created_at < now() - $1::bigint * interval '1 millisecond' AND status <> 'pending'
             LIMIT $2)
           RETURNING 1
         ) SELECT count(*)::int AS n FROM gone`,
        [olderThanMs, limit],
      );
      const [e] = await sql.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM events WHERE id IN (
             SELECT e.id FROM events e
             WHERE e.created_at < now() - $1::bigint * interval '1 millisecond'
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
             LIMIT $2)
           RETURNING 1
         ) SELECT count(*)::int AS n FROM gone`,
        [olderThanMs, limit],
      );
      return { deliveries: d?.n ?? 0, events: e?.n ?? 0 };
    },

    /**
     * Pending deliveries whose next attempt is overdue by more than `staleAfterMs`: their queue message is gone.
     * Read from `pending_deliveries` (the work in flight, by due time). Claims up to `limit` (the delivery rows
     * locked SKIP LOCKED: concurrent sweepers and an outcome being recorded split the work) and pushes their due
     * time forward, so each is re-enqueued at most once per `staleAfterMs`. Locks deliveries before
     * pending_deliveries, the same order as the outcome statement (no deadlock). A work-list row whose delivery
     * is gone (connection deleted) or settled is dropped. Returns the claimed ids and attempts.
     */
    async claimStale(staleAfterMs: number, limit: number): Promise<{ id: string; attempts: number }[]> {
      return sql.query<{ id: string; attempts: number }>(
        `WITH due AS MATERIALIZED (
           SELECT delivery_id AS id FROM pending_deliveries
           WHERE due_at < now() - $1::bigint * interval '1 millisecond'
           ORDER BY due_at LIMIT $2
         ), claimed AS MATERIALIZED (
           SELECT d.id, d.status FROM deliveries d JOIN due ON due.id = d.id
           ORDER BY d.id FOR NO KEY UPDATE OF d SKIP LOCKED
         ), moved AS (
           UPDATE pending_deliveries p SET due_at = now() FROM claimed c WHERE p.delivery_id = c.id AND c.status = 'pending'
         ), dropped AS (
           DELETE FROM pending_deliveries p USING due
           WHERE p.delivery_id = due.id AND (NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = due.id)
             OR due.id IN (SELECT id FROM claimed WHERE status <> 'pending'))
         )
         UPDATE deliveries d SET next_attempt_at = now() FROM claimed c WHERE d.id = c.id AND c.status = 'pending'
         RETURNING d.id, d.attempts`,
        [staleAfterMs, limit],
      );
    },
  };
}
