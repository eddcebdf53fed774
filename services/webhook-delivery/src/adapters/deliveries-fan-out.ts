/**
 * Fan-out writes: an event's body stored once and one delivery per matching webhook, a whole batch of events
 * per statement (see batcher.ts). The webhook filter is the SQL here: "*" or the exact event name.
 */
import type { Sql } from '@wahooks/db';

export interface EventToFanOut {
  id: string;
  event: string;
  connectionId: string;
  body: string;
}

export function fanOutQueries(sql: Sql) {
  return {
    /**
     * Stores each event once and creates one delivery per matching active webhook, idempotently: a redelivered
     * event creates nothing new but returns its deliveries that never got an attempt, so they are re-enqueued
     * (the crash happened between this write and the publish). Each new delivery also gets its
     * `pending_deliveries` row (the stale sweep's work list). Result aligned with `events`.
     */
    async fanOut(events: EventToFanOut[]): Promise<string[][]> {
      const out = await sql.prepared<{ id: string; event_id: string }>(
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
         ), pend AS (
           INSERT INTO pending_deliveries (delivery_id, due_at) SELECT id, now() FROM ins
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
      const [r] = await sql.query<{ id: string }>(
        `WITH ev AS (INSERT INTO events (id, event, body) VALUES ($1, $2, $3)), d AS (
           INSERT INTO deliveries (webhook_id, event_id, event_type, forced, next_attempt_at)
           VALUES ($4, $1, $2, true, now()) RETURNING id
         ), pend AS (INSERT INTO pending_deliveries (delivery_id, due_at) SELECT id, now() FROM d)
         SELECT id FROM d`,
        [eventId, eventType, body, webhookId],
      );
      return r!.id;
    },
  };
}
