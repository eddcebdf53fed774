/**
 * Events (bodies), deliveries and attempts. The hot-path statements take whole batches (see batcher.ts):
 * one INSERT fans out many events, one UPDATE records many outcomes.
 */
import type { DataSource } from '@wahooks/db';
import { preparedRows, rows } from './sql.js';
import type { DisabledWebhookRow } from './webhooks-repo.js';

export interface EventToFanOut {
  id: string;
  event: string;
  connectionId: string;
  body: string;
}

export interface AttemptTarget {
  id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  series_start: number;
  forced: boolean;
  event_type: string;
  event_id: string;
  body: string;
  webhook_id: string;
  url: string;
  active: boolean;
  signing_secret: string;
  previous_secret: string | null; // only while inside its grace period
  user_id: string;
  connection_id: string;
  consecutive_failures: number;
  failing_since: Date | null;
}

export interface AttemptOutcome {
  deliveryId: string;
  webhookId: string;
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date | null;
  startedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

/** A webhook this outcome disabled, whose `webhook.disabled` event is still to be published (outbox). */
export type DisabledWebhook = DisabledWebhookRow;

export interface HealthPolicy {
  disableAfterFailures: number; // 0 = never by count
  disableAfterMs: number;
}

export interface RecordResult {
  applied: boolean;
  disabled: DisabledWebhook | null; // on the first applied outcome of a webhook it disabled
}

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

/** In the outcome statement: whether webhook `w`, judged on this batch's outcomes `j`, is to be disabled now. */
const DISABLE_NOW = `(j.gone OR (NOT j.any_ok AND (
    ($10::int > 0 AND w.consecutive_failures + j.finals >= $10::int)
    OR COALESCE(w.failing_since, now()) <= now() - $11::bigint * interval '1 millisecond')))`;
const NEWLY_DISABLED = `(w.active AND ${DISABLE_NOW})`;

/**
 * The outcome statement locks deliveries, then webhooks, each in id order, so two outcome batches cannot
 * deadlock; a one-row writer elsewhere (webhook deletion's cascade) still can, rarely. The statement is one
 * atomic transaction, so running it again after a 40P01 is safe.
 */
async function retryDeadlock<T>(run: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= tries || (err as { code?: string }).code !== '40P01') throw err;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * i));
    }
  }
}

export function createDeliveriesRepo(db: DataSource) {
  const prepared = preparedRows(db);
  return {
    /**
     * Stores each event once and creates one delivery per matching active webhook, idempotently: a redelivered
     * event creates nothing new but returns its deliveries that never got an attempt, so they are re-enqueued
     * (the crash happened between this write and the publish). Result aligned with `events`.
     */
    async fanOut(events: EventToFanOut[]): Promise<string[][]> {
      const out = await prepared<{ id: string; event_id: string }>(
        'wd_fan_out',
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[]) AS i(id, event, connection_id, body)
         ), ev AS (
           INSERT INTO events (id, event, connection_id, body)
           SELECT id, event, connection_id, body FROM input ON CONFLICT (id) DO NOTHING
           RETURNING id
         ), ins AS (
           INSERT INTO deliveries (webhook_id, event_id, event_type, next_attempt_at)
           SELECT w.id, i.id, i.event, now() FROM input i
           JOIN webhooks w ON w.connection_id = i.connection_id AND w.active AND ('*' = ANY (w.events) OR i.event = ANY (w.events))
           ON CONFLICT (event_id, webhook_id) DO NOTHING
           RETURNING id, event_id
         )
         SELECT id, event_id FROM ins
         UNION ALL
         -- Only events seen before (usually none) are looked up, one by one on the (event_id, webhook_id) index, and
         -- the status is checked after (OFFSET 0 keeps the filter out of the lookup). Given "status = 'pending'",
         -- the planner scanned the partial pending index too, whose dead entries grow with every delivery until
         -- vacuum: the fan-out got slower as the table grew (10 ms vs 0.6 ms per batch at 100k deliveries).
         SELECT x.id, x.event_id FROM (SELECT id FROM input EXCEPT SELECT id FROM ev) seen
         CROSS JOIN LATERAL (
           SELECT d.id, d.event_id, d.status, d.attempts FROM deliveries d WHERE d.event_id = seen.id OFFSET 0
         ) x
         WHERE x.status = 'pending' AND x.attempts = 0`,
        [
          events.map((e) => e.id),
          events.map((e) => e.event),
          events.map((e) => e.connectionId),
          events.map((e) => e.body),
        ],
      );
      const byEvent = new Map<string, string[]>();
      for (const r of out) byEvent.set(r.event_id, [...(byEvent.get(r.event_id) ?? []), r.id]);
      return events.map((e) => [...new Set(byEvent.get(e.id) ?? [])]);
    },

    /** The test event (or any forced one-off): event row + one delivery to one webhook. */
    async createForced(eventId: string, eventType: string, body: string, webhookId: string): Promise<string> {
      const [r] = await rows<{ id: string }>(
        db,
        `WITH ev AS (INSERT INTO events (id, event, body) VALUES ($1, $2, $3))
         INSERT INTO deliveries (webhook_id, event_id, event_type, forced, next_attempt_at)
         VALUES ($4, $1, $2, true, now()) RETURNING id`,
        [eventId, eventType, body, webhookId],
      );
      return r!.id;
    },

    /** Everything one attempt needs, for a batch of delivery ids; aligned, null when the delivery is gone. */
    async loadForAttempt(ids: string[]): Promise<(AttemptTarget | null)[]> {
      const found = await prepared<AttemptTarget>(
        'wd_load_for_attempt',
        `SELECT d.id, d.status, d.attempts, d.series_start, d.forced, d.event_type, d.event_id, e.body,
                w.id AS webhook_id, w.url, w.active, w.signing_secret,
                CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END AS previous_secret,
                w.user_id, w.connection_id, w.consecutive_failures, w.failing_since
         FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.id = ANY ($1::uuid[])`,
        [ids],
      );
      const byId = new Map(found.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    },

    /**
     * Records attempt outcomes; applies each only if the delivery is still pending with `attempt - 1` attempts
     * (a duplicate or stale message changes nothing). In the same statement (so it cannot be lost between two
     * writes), the webhooks' health: a delivered outcome clears the counters; failed attempts start
     * `failing_since`, each failed delivery counts in `consecutive_failures`; a 410 or a threshold disables the
     * webhook and marks its `webhook.disabled` event unpublished (outbox). The delivery rows, then the webhook
     * rows are locked in id order first (FOR NO KEY UPDATE: no conflict with the fan-out's foreign-key locks);
     * an UPDATE … FROM alone locks in whatever order its plan visits rows (input order with an index nested
     * loop), and two batches sharing a duplicate delivery deadlocked. Webhooks with nothing to change are not
     * touched.
     */
    recordOutcomes: (health: HealthPolicy) =>
      async function recordOutcomes(items: AttemptOutcome[]): Promise<RecordResult[]> {
        const out = await retryDeadlock(() =>
          prepared<{
            kind: 'd' | 'w';
            id: string;
            attempts: number | null;
            user_id: string | null;
            connection_id: string | null;
            url: string | null;
            disabled_reason: 'gone' | 'failing' | null;
            disabled_at: Date | null;
          }>(
            'wd_record_outcomes',
            `WITH input AS (
             SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[],
                                  $7::int[], $8::text[], $9::text[])
               AS i(delivery_id, attempt, status, next_attempt_at, started_at, status_code, duration_ms, error, response_body)
           ), dlocked AS MATERIALIZED (
             SELECT d.id FROM deliveries d WHERE d.id IN (SELECT delivery_id FROM input) AND d.status = 'pending'
             ORDER BY d.id FOR NO KEY UPDATE OF d
           ), upd AS (
             UPDATE deliveries d SET attempts = i.attempt, status = i.status, next_attempt_at = i.next_attempt_at,
               delivered_at = CASE WHEN i.status = 'delivered' THEN now() ELSE d.delivered_at END
             FROM input i JOIN dlocked l ON l.id = i.delivery_id
             WHERE d.id = l.id AND d.attempts = i.attempt - 1 AND d.status = 'pending'
             RETURNING d.id, d.attempts, d.webhook_id
           ), att AS (
             INSERT INTO attempts (delivery_id, attempt, started_at, status_code, duration_ms, error, response_body)
             SELECT i.delivery_id, i.attempt, i.started_at, i.status_code, i.duration_ms, i.error, i.response_body
             FROM input i JOIN upd u ON u.id = i.delivery_id AND u.attempts = i.attempt
             ON CONFLICT DO NOTHING
           ), health AS (
             SELECT u.webhook_id,
                    bool_or(i.status = 'delivered') AS any_ok,
                    (count(*) FILTER (WHERE i.status = 'failed'))::int AS finals,
                    coalesce(bool_or(i.status = 'failed' AND i.status_code = 410), false) AS gone
             FROM input i JOIN upd u ON u.id = i.delivery_id AND u.attempts = i.attempt
             GROUP BY u.webhook_id
           ), locked AS MATERIALIZED (
             SELECT w.id FROM webhooks w JOIN health h ON h.webhook_id = w.id
             WHERE NOT h.any_ok OR h.gone OR w.consecutive_failures <> 0 OR w.failing_since IS NOT NULL
             ORDER BY w.id FOR NO KEY UPDATE OF w
           ), judged AS (
             SELECT h.*, l.id FROM health h JOIN locked l ON l.id = h.webhook_id
           ), wh AS (
             UPDATE webhooks w SET
               consecutive_failures = CASE WHEN j.any_ok THEN 0 ELSE w.consecutive_failures + j.finals END,
               failing_since = CASE WHEN j.any_ok THEN NULL ELSE COALESCE(w.failing_since, now()) END,
               active = w.active AND NOT ${DISABLE_NOW},
               disabled_reason = CASE WHEN ${NEWLY_DISABLED} THEN (CASE WHEN j.gone THEN 'gone' ELSE 'failing' END)
                                 ELSE w.disabled_reason END,
               disabled_at = CASE WHEN ${NEWLY_DISABLED} THEN now() ELSE w.disabled_at END,
               disable_unpublished = w.disable_unpublished OR ${NEWLY_DISABLED},
               updated_at = CASE WHEN ${NEWLY_DISABLED} THEN now() ELSE w.updated_at END
             FROM judged j
             WHERE w.id = j.id
             RETURNING w.id, w.user_id, w.connection_id, w.url, w.disabled_reason, w.disabled_at, w.active,
                       w.disable_unpublished
           )
           SELECT 'd' AS kind, id::text, attempts, NULL::uuid AS user_id, NULL::uuid AS connection_id, NULL AS url,
                  NULL AS disabled_reason, NULL::timestamptz AS disabled_at
           FROM upd
           UNION ALL
           SELECT 'w', id::text, NULL, user_id, connection_id, url, disabled_reason, disabled_at
           FROM wh WHERE NOT active AND disable_unpublished`,
            [
              items.map((i) => i.deliveryId),
              items.map((i) => i.attempt),
              items.map((i) => i.status),
              items.map((i) => i.nextAttemptAt),
              items.map((i) => i.startedAt),
              items.map((i) => i.statusCode),
              items.map((i) => i.durationMs),
              items.map((i) => i.error),
              items.map((i) => i.responseBody),
              health.disableAfterFailures,
              health.disableAfterMs,
            ],
          ),
        );
        const done = new Set(out.filter((r) => r.kind === 'd').map((a) => `${a.id}:${a.attempts}`));
        const disabled = new Map(
          out.filter((r) => r.kind === 'w').map((w) => [w.id, w as unknown as DisabledWebhook] as const),
        );
        return items.map((i) => {
          const applied = done.has(`${i.deliveryId}:${i.attempt}`);
          const w = applied ? disabled.get(i.webhookId) : undefined;
          if (w) disabled.delete(i.webhookId); // one publish per webhook
          return { applied, disabled: w ?? null };
        });
      },

    /** Marks a delivery failed without an attempt (its webhook was disabled meanwhile). */
    async failWithoutAttempt(id: string): Promise<void> {
      await db.query(
        `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = $1 AND status = 'pending'`,
        [id],
      );
    },

    /** Newest first; `before` is a delivery id of the same webhook (the previous page's last row). */
    async listLogs(webhookId: string, f: { status?: string; event?: string; before?: string; limit: number }) {
      const logs = await rows<LogRow>(
        db,
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
        ? await rows<AttemptRow>(db, 'SELECT * FROM attempts WHERE delivery_id = ANY ($1::uuid[]) ORDER BY attempt', [
            page.map((l) => l.id),
          ])
        : [];
      return { page, attempts, hasMore: logs.length > f.limit };
    },

    async get(id: string) {
      const [r] = await rows<{ id: string; webhook_id: string; status: string; attempts: number }>(
        db,
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
      const [r] = await rows<{ attempts: number }>(
        db,
        `UPDATE deliveries SET status = 'pending', series_start = attempts, forced = true, next_attempt_at = now(),
           delivered_at = NULL
         WHERE id = $1 AND (status <> 'pending'
           OR COALESCE(next_attempt_at, created_at) < now() - $2::bigint * interval '1 millisecond')
         RETURNING attempts`,
        [id, staleAfterMs],
      );
      return r ? r.attempts : null;
    },

    /**
     * Retention: deletes up to `limit` settled deliveries created more than `olderThanMs` ago (attempts go with
     * them), then up to `limit` event bodies of that age no delivery refers to any more (incl. events that
     * matched no webhook). Pending deliveries are kept whatever their age. Returns the rows deleted.
     */
    async purgeOlderThan(olderThanMs: number, limit: number): Promise<{ deliveries: number; events: number }> {
      const [d] = await rows<{ n: number }>(
        db,
        `WITH gone AS (
           DELETE FROM deliveries WHERE id IN (
             SELECT id FROM deliveries
             WHERE created_at < now() - $1::bigint * interval '1 millisecond' AND status <> 'pending'
             LIMIT $2)
           RETURNING 1
         ) SELECT count(*)::int AS n FROM gone`,
        [olderThanMs, limit],
      );
      const [e] = await rows<{ n: number }>(
        db,
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
      return rows<{ id: string; attempts: number }>(
        db,
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
export type DeliveriesRepo = ReturnType<typeof createDeliveriesRepo>;
