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
     * Claims up to `limit` (SKIP LOCKED: concurrent sweepers split the work) and pushes their next_attempt_at
     * forward, so each is re-enqueued at most once per `staleAfterMs`. Returns the claimed ids and attempts.
     */
    async claimStale(staleAfterMs: number, limit: number): Promise<{ id: string; attempts: number }[]> {
      return sql.query<{ id: string; attempts: number }>(
        `WITH stale AS (
           SELECT id FROM deliveries
           WHERE status = 'pending' AND COALESCE(next_attempt_at, created_at) < now() - $1::bigint * interval '1 millisecond'
           ORDER BY COALESCE(next_attempt_at, created_at)
           LIMIT $2 FOR UPDATE SKIP LOCKED
         )
         UPDATE deliveries d SET next_attempt_at = now() FROM stale WHERE d.id = stale.id
         RETURNING d.id, d.attempts`,
        [staleAfterMs, limit],
      );
    },
  };
}
