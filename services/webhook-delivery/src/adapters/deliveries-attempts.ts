/**
 * The attempt path: what one attempt needs (a batch of deliveries per read) and its outcome, many outcomes per
 * statement, together with the webhooks' health (counters, auto-disable).
 */
import type { Sql } from '@wahooks/db';
import { writeOutbox } from '@wahooks/outbox';
import { webhookDisabledEntry } from './webhook-disabled-event.js';
import type { DisabledWebhookRow } from './webhooks-repo.js';

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

/** A webhook this outcome disabled; its `webhook.disabled` event is in the outbox, written with the outcome. */
export type DisabledWebhook = DisabledWebhookRow;

export interface HealthPolicy {
  disableAfterFailures: number; // 0 = never by count
  disableAfterMs: number;
}

export interface RecordResult {
  applied: boolean;
  disabled: DisabledWebhook | null; // on the first applied outcome of a webhook it disabled
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

export function attemptQueries(sql: Sql) {
  return {
    /** Everything one attempt needs, for a batch of delivery ids; aligned, null when the delivery is gone. */
    async loadForAttempt(ids: string[]): Promise<(AttemptTarget | null)[]> {
      const found = await sql.prepared<AttemptTarget>(
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
     * webhook; its `webhook.disabled` event goes into the outbox in the same transaction (a batch of delivered
     * outcomes only cannot disable anything and runs as the single statement, no transaction around it). The
     * delivery rows, then the webhook rows are locked in id order first (FOR NO KEY UPDATE: no conflict with the
     * fan-out's foreign-key locks); an UPDATE … FROM alone locks in whatever order its plan visits rows (input
     * order with an index nested loop), and two batches sharing a duplicate delivery deadlocked. Webhooks with
     * nothing to change are not touched. No indexed column of `deliveries` changes (a HOT update); the
     * delivery's `pending_deliveries` row is deleted when it settles or gets the retry's due time.
     */
    recordOutcomes: (health: HealthPolicy) =>
      async function recordOutcomes(items: AttemptOutcome[]): Promise<RecordResult[]> {
        const run = (db: Sql) =>
          db.prepared<{
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
           ), settled AS (
             -- the sweep's work list follows the row: settled deliveries leave it, retries move their due time
             DELETE FROM pending_deliveries p USING input i JOIN upd u ON u.id = i.delivery_id AND u.attempts = i.attempt
             WHERE p.delivery_id = u.id AND i.status <> 'pending'
           ), retried AS (
             UPDATE pending_deliveries p SET due_at = COALESCE(i.next_attempt_at, now())
             FROM input i JOIN upd u ON u.id = i.delivery_id AND u.attempts = i.attempt
             WHERE p.delivery_id = u.id AND i.status = 'pending'
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
               updated_at = CASE WHEN ${NEWLY_DISABLED} THEN now() ELSE w.updated_at END
             FROM judged j
             WHERE w.id = j.id
             -- disabled_at is now() (the transaction's start) only if this statement disabled the webhook
             RETURNING w.id, w.user_id, w.connection_id, w.url, w.disabled_reason, w.disabled_at, w.active,
                       (w.disabled_at = now()) AS newly_disabled
           )
           SELECT 'd' AS kind, id::text, attempts, NULL::uuid AS user_id, NULL::uuid AS connection_id, NULL AS url,
                  NULL AS disabled_reason, NULL::timestamptz AS disabled_at
           FROM upd
           UNION ALL
           SELECT 'w', id::text, NULL, user_id, connection_id, url, disabled_reason, disabled_at
           FROM wh WHERE NOT active AND newly_disabled`,
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
          );
        const mayDisable = items.some((i) => i.status !== 'delivered'); // all delivered: no webhook can be disabled
        const out = await retryDeadlock(() =>
          mayDisable
            ? sql.transaction(async (tx) => {
                const rows = await run(tx);
                const disabled = rows.filter((r) => r.kind === 'w') as unknown as DisabledWebhook[];
                if (disabled.length > 0) await writeOutbox(tx, disabled.map(webhookDisabledEntry));
                return rows;
              })
            : run(sql),
        );
        const done = new Set(out.filter((r) => r.kind === 'd').map((a) => `${a.id}:${a.attempts}`));
        const disabled = new Map(
          out.filter((r) => r.kind === 'w').map((w) => [w.id, w as unknown as DisabledWebhook] as const),
        );
        return items.map((i) => {
          const applied = done.has(`${i.deliveryId}:${i.attempt}`);
          const w = applied ? disabled.get(i.webhookId) : undefined;
          if (w) disabled.delete(i.webhookId); // reported once per webhook
          return { applied, disabled: w ?? null };
        });
      },

    /** Marks a delivery failed without an attempt (its webhook was disabled meanwhile). */
    async failWithoutAttempt(id: string): Promise<void> {
      await sql.query(
        `WITH d AS (
           UPDATE deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = $1 AND status = 'pending'
           RETURNING id
         ) DELETE FROM pending_deliveries p USING d WHERE p.delivery_id = d.id`,
        [id],
      );
    },
  };
}
