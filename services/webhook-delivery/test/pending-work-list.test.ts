import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { CreateWebhook } from '@wahooks/contracts';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

// pending_deliveries is the stale sweep's work list: one row per pending delivery, gone when it settles, so the
// outcome UPDATE of `deliveries` touches no indexed column and is a HOT update.
let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;
let db: pg.Client;

beforeAll(async () => {
  h = await createHarness('wd_pending', {
    retrySchedule: [200],
    timeoutMs: 500,
    endpointMaxWaitMs: 100,
    sweepIntervalMs: 200,
    sweepMarginMs: 200,
  });
  rx = await startReceiver((r) => (r.path === '/fail' ? 500 : 200));
  db = new pg.Client({ connectionString: h.env.databaseUrl });
  await db.connect();
  await db.query('SET search_path = webhook_delivery');
});
afterAll(async () => {
  await db?.end();
  await rx.close();
  await h.close();
});

const pendingRows = async (ids: string[]) =>
  (await db.query('SELECT delivery_id FROM pending_deliveries WHERE delivery_id = ANY ($1::uuid[])', [ids])).rows
    .length;

describe('pending work list', () => {
  it('holds a delivery while pending, drops it when delivered, and the outcome updates are HOT', async () => {
    const { connectionId, userId } = await h.newConnection();
    await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    const stat = async () =>
      (
        await db.query<{ upd: string; hot: string }>(
          `SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables
           WHERE schemaname = 'webhook_delivery' AND relname = 'deliveries'`,
        )
      ).rows[0]!;
    const before = await stat();
    const events = await Promise.all(
      Array.from({ length: 20 }, () => h.publishEvent({ connectionId, userId, event: 'message' })),
    );
    await waitFor(() => new Set(rx.received.map((r) => r.headers['webhook-id'])).size >= 20, 10_000, '20 deliveries');
    const ids = (
      await db.query<{ id: string }>('SELECT id FROM deliveries WHERE event_id = ANY ($1::text[])', [
        events.map((e) => e.id),
      ])
    ).rows.map((r) => r.id);
    expect(ids).toHaveLength(20);
    await waitFor(async () => (await pendingRows(ids)) === 0, 5000, 'work list emptied');
    // A backend flushes its statistics to pg_stat_user_tables when it goes idle, at the latest ~10 s later.
    const after = await waitFor(
      async () => {
        const s = await stat();
        return Number(s.upd) - Number(before.upd) >= 20 ? s : null;
      },
      30_000,
      'update statistics',
    );
    const updates = Number(after.upd) - Number(before.upd);
    const hot = Number(after.hot) - Number(before.hot);
    expect(hot / updates).toBeGreaterThanOrEqual(0.9); // 0 when an index covered status or next_attempt_at
  });

  it('moves a retried delivery to its next due time, drops it when it fails for good, and drops orphans', async () => {
    const { connectionId, userId } = await h.newConnection();
    await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url('/fail'), events: ['*'] });
    const evt = await h.publishEvent({ connectionId, userId, event: 'message' });
    const row = async () =>
      (
        await db.query<{ id: string; status: string; attempts: number; next_attempt_at: Date; due_at: Date | null }>(
          `SELECT d.id, d.status, d.attempts, d.next_attempt_at, p.due_at
           FROM deliveries d LEFT JOIN pending_deliveries p ON p.delivery_id = d.id WHERE d.event_id = $1`,
          [evt.id],
        )
      ).rows[0];
    const retrying = await waitFor(async () => ((await row())?.attempts === 1 ? row() : null), 5000, '1st attempt');
    if (retrying!.status === 'pending') expect(retrying!.due_at).toEqual(retrying!.next_attempt_at);
    const failed = await waitFor(async () => ((await row())?.status === 'failed' ? row() : null), 5000, 'failed');
    expect(failed!.attempts).toBe(2);
    expect(failed!.due_at).toBeNull();

    // A work-list row without its delivery (what a connection's deletion cascade leaves behind).
    const orphan = '00000000-0000-4000-8000-000000000001';
    await db.query(`INSERT INTO pending_deliveries (delivery_id, due_at) VALUES ($1, now() - interval '1 hour')`, [
      orphan,
    ]);
    await waitFor(async () => (await pendingRows([orphan])) === 0, 5000, 'orphan dropped by the sweep');
  });
});
