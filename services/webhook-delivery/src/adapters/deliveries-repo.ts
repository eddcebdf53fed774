/**
 * Events (bodies), deliveries and attempts. The hot-path statements take whole batches (see batcher.ts):
 * one INSERT fans out many events, one UPDATE records many outcomes.
 */
import type { DataSource } from '@wahooks/db';
import { preparedRows, rows } from './sql.js';

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
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date | null;
  startedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
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
         ), ins AS (
           INSERT INTO deliveries (webhook_id, event_id, event_type, next_attempt_at)
           SELECT w.id, i.id, i.event, now() FROM input i
           JOIN webhooks w ON w.connection_id = i.connection_id AND w.active AND ('*' = ANY (w.events) OR i.event = ANY (w.events))
           ON CONFLICT (event_id, webhook_id) DO NOTHING
           RETURNING id, event_id
         )
         SELECT id, event_id FROM ins
         UNION ALL
         SELECT d.id, d.event_id FROM deliveries d
         WHERE d.event_id = ANY ($1::text[]) AND d.status = 'pending' AND d.attempts = 0`,
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
     * (a duplicate or stale message changes nothing). Returns, aligned, whether each was applied.
     */
    async recordOutcomes(items: AttemptOutcome[]): Promise<boolean[]> {
      const applied = await prepared<{ id: string; attempts: number }>(
        'wd_record_outcomes',
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[],
                                $7::int[], $8::text[], $9::text[])
             AS i(delivery_id, attempt, status, next_attempt_at, started_at, status_code, duration_ms, error, response_body)
         ), upd AS (
           UPDATE deliveries d SET attempts = i.attempt, status = i.status, next_attempt_at = i.next_attempt_at,
             delivered_at = CASE WHEN i.status = 'delivered' THEN now() ELSE d.delivered_at END
           FROM input i WHERE d.id = i.delivery_id AND d.attempts = i.attempt - 1 AND d.status = 'pending'
           RETURNING d.id, d.attempts
         ), att AS (
           INSERT INTO attempts (delivery_id, attempt, started_at, status_code, duration_ms, error, response_body)
           SELECT i.delivery_id, i.attempt, i.started_at, i.status_code, i.duration_ms, i.error, i.response_body
           FROM input i JOIN upd u ON u.id = i.delivery_id AND u.attempts = i.attempt
           ON CONFLICT DO NOTHING
         )
         SELECT id, attempts FROM upd`,
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
        ],
      );
      const done = new Set(applied.map((a) => `${a.id}:${a.attempts}`));
      return items.map((i) => done.has(`${i.deliveryId}:${i.attempt}`));
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
