import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { CreateWebhook } from '@wahooks/contracts';
import type { AttemptOutcome } from '../src/adapters/deliveries-repo.js';
import { createHarness, eventId, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  // A long sweep interval: nothing but this test touches the rows it creates.
  h = await createHarness('wd_locks', { sweepIntervalMs: 3_600_000 });
});
afterAll(async () => {
  await h.close();
});

const failed = (deliveryId: string, webhookId: string, attempt: number): AttemptOutcome => ({
  deliveryId,
  webhookId,
  attempt,
  status: 'pending', // a failed attempt with retries left: the webhook's health row is written
  nextAttemptAt: new Date(Date.now() + 60_000),
  startedAt: new Date(),
  statusCode: 500,
  durationMs: 3,
  error: 'HTTP 500',
  responseBody: null,
});

describe('recordOutcomes under concurrency', () => {
  it('concurrent batches over the same deliveries and webhooks, in opposite orders, neither deadlock nor double-count', async () => {
    const { connectionId, userId } = await h.newConnection();
    const hooks = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.client.request(CreateWebhook, { userId, connectionId, url: 'http://127.0.0.1:9/x', events: ['*'] }),
      ),
    );
    const repo = h.service!.deps.deliveries;
    const record = repo.recordOutcomes({ disableAfterFailures: 0, disableAfterMs: 86_400_000 });
    const rows: { id: string; webhookId: string }[] = [];
    for (let i = 0; i < 240; i++) {
      const w = hooks[i % hooks.length]!;
      rows.push({ id: await repo.createForced(eventId(), 'test', '{}', w.id), webhookId: w.id });
    }
    // Filler rows, so the planner reaches the batch's deliveries by index in input order (as in production)
    // rather than by scanning the small table in physical order.
    const db = new pg.Client({ connectionString: h.env.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `WITH ev AS (INSERT INTO webhook_delivery.events (id, event, body)
                     SELECT 'evt_fill' || g, 'message', '{}' FROM generate_series(1, 50000) g)
         INSERT INTO webhook_delivery.deliveries (webhook_id, event_id, event_type, status, attempts)
         SELECT $1::uuid, 'evt_fill' || g, 'message', 'delivered', 1 FROM generate_series(1, 50000) g`,
        [hooks[0]!.id],
      );
      await db.query('ANALYZE webhook_delivery.deliveries; ANALYZE webhook_delivery.webhooks');
    } finally {
      await db.end();
    }
    // Two rounds (attempts 1 and 2). In each, 16 concurrent batches carry every outcome (duplicates, as a
    // redelivered or swept task makes), half of them in reverse order: a statement that locks deliveries or
    // webhooks in input order deadlocks here.
    for (const attempt of [1, 2]) {
      const batches = Array.from({ length: 16 }, (_, b) => {
        const items = rows.map((r) => failed(r.id, r.webhookId, attempt));
        return b % 2 ? items.reverse() : items;
      });
      const results = await Promise.all(batches.map((items) => record(items)));
      // Each outcome is applied exactly once across the duplicates.
      const perDelivery = new Map<string, number>();
      results.forEach((res, b) =>
        res.forEach((r, i) => {
          if (!r.applied) return;
          const id = batches[b]![i]!.deliveryId;
          perDelivery.set(id, (perDelivery.get(id) ?? 0) + 1);
        }),
      );
      expect(perDelivery.size).toBe(rows.length);
      expect([...perDelivery.values()].every((n) => n === 1)).toBe(true);
    }
    for (const w of hooks) {
      const row = await h.service!.deps.webhooks.get(w.id);
      expect(row!.failing_since).not.toBeNull();
      expect(row!.active).toBe(true);
    }
  });
});
