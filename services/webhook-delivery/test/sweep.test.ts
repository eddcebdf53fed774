import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { on } from '@wahooks/broker';
import { CreateWebhook, ListWebhookLogs, WebhookDisabled, type PayloadOf } from '@wahooks/contracts';
import { closeDatabase, openDatabase, sqlOf } from '@wahooks/db';
import { writeOutbox } from '@wahooks/outbox';
import { webhookDisabledEntry } from '../src/adapters/webhook-disabled-event.js';
import type { DisabledWebhookRow } from '../src/adapters/webhooks-repo.js';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;
const disabled: PayloadOf<typeof WebhookDisabled>[] = [];

beforeAll(async () => {
  // Stale after 400 (2 x 200 ms wait) + 500 (timeout) + 100 (max wait) + 200 (margin) = 1.2 s; swept every 200 ms.
  h = await createHarness('wd_sweep', {
    retrySchedule: [200],
    timeoutMs: 500,
    endpointMaxWaitMs: 100,
    sweepIntervalMs: 200,
    sweepMarginMs: 200,
    logRetentionMs: 86_400_000,
  });
  rx = await startReceiver();
  await h.client.subscribe('disabled-watch', [on(WebhookDisabled, async (p) => void disabled.push(p))]);
});
afterAll(async () => {
  await rx.close();
  await h.close();
});

describe('stale pending sweep', () => {
  it('delivers a pending delivery whose queue message was never published', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    // The state a crash between createForced and the publish leaves behind: a row, no task.
    const logId = await h.service!.deps.deliveries.createForced(`evt_sweep${Date.now()}`, 'test', '{"a":1}', w.id);
    const created = Date.now();
    await waitFor(() => rx.received.length >= 1, 8000, 'the swept delivery');
    expect(Date.now() - created).toBeGreaterThanOrEqual(1000); // not before it was stale
    const log = await waitFor(
      async () => {
        const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
        return l.items.find((x) => x.id === logId && x.status === 'delivered');
      },
      5000,
      'delivered',
    );
    expect(log.attempts).toBe(1);
    expect(rx.received[0]!.body).toBe('{"a":1}');
  });

  it('publishes a webhook.disabled whose publish was lost after the disable was written (outbox)', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    const db = await openDatabase({ url: h.env.databaseUrl, schema: 'webhook_delivery' });
    try {
      // What an outcome that disabled the webhook leaves behind when the process dies before publishing: the
      // disable and its outbox row, committed together, and nobody kicking the relay (it finds it polling).
      await sqlOf(db).transaction(async (tx) => {
        const [row] = await tx.query<DisabledWebhookRow>(
          `UPDATE webhooks SET active = false, disabled_reason = 'gone', disabled_at = now() WHERE id = $1
           RETURNING id, user_id, connection_id, url, disabled_reason, disabled_at`,
          [w.id],
        );
        await writeOutbox(tx, [webhookDisabledEntry(row!)]);
      });
      const d = await waitFor(() => disabled.find((x) => x.webhookId === w.id), 5000, 'webhook.disabled');
      expect(d).toMatchObject({ reason: 'gone', userId, connectionId, url: rx.url() });
      const sent = await waitFor(async () => {
        const [r] = await sqlOf(db).query<{ sent_at: Date | null }>(
          'SELECT sent_at FROM outbox WHERE partition_key = $1',
          [w.id],
        );
        return r?.sent_at ?? null;
      });
      expect(sent).toBeInstanceOf(Date);
      expect((await h.service!.deps.webhooks.get(w.id))!.active).toBe(false);
    } finally {
      await closeDatabase(db);
    }
  });

  it('deletes settled delivery logs and event bodies older than the retention, keeps recent and pending ones', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    const repo = h.service!.deps.deliveries;
    const stamp = Date.now();
    const oldDone = await repo.createForced(`evt_old_done${stamp}`, 'test', '{}', w.id);
    const oldPending = await repo.createForced(`evt_old_pending${stamp}`, 'test', '{}', w.id);
    const recentDone = await repo.createForced(`evt_recent_done${stamp}`, 'test', '{}', w.id);
    const db = new pg.Client({ connectionString: h.env.databaseUrl });
    await db.connect();
    try {
      await db.query('SET search_path = webhook_delivery');
      await db.query(
        `UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = NULL WHERE id = ANY ($1::uuid[])`,
        [[oldDone, recentDone]],
      );
      await db.query(
        `INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms) VALUES ($1, 1, now(), 5), ($2, 1, now(), 5)`,
        [oldDone, recentDone],
      );
      // Pending but far in the future: not the sweep's business, and kept whatever its age.
      await db.query(`UPDATE deliveries SET next_attempt_at = now() + interval '1 day' WHERE id = $1`, [oldPending]);
      await db.query(`UPDATE pending_deliveries SET due_at = now() + interval '1 day' WHERE delivery_id = $1`, [
        oldPending,
      ]);
      await db.query(`UPDATE deliveries SET created_at = now() - interval '2 days' WHERE id = ANY ($1::uuid[])`, [
        [oldDone, oldPending],
      ]);
      // Bodies aged before the orphan appears: any sweep that sees the orphan also sees these as old.
      await db.query(`UPDATE events SET created_at = now() - interval '2 days' WHERE id LIKE 'evt_old_%'`);
      await db.query(
        `INSERT INTO events (id, event, body, created_at) VALUES ($1, 'message', '{}', now() - interval '2 days')`,
        [`evt_old_orphan${stamp}`],
      );
      const ids = async () =>
        (
          await db.query<{ id: string }>('SELECT id FROM deliveries WHERE id = ANY ($1::uuid[])', [
            [oldDone, oldPending, recentDone],
          ])
        ).rows
          .map((r) => r.id)
          .sort();
      await waitFor(async () => !(await ids()).includes(oldDone), 5000, 'old settled delivery purged');
      expect(await ids()).toEqual([oldPending, recentDone].sort());
      await waitFor(
        async () => {
          const r = await db.query(`SELECT 1 FROM events WHERE id = ANY ($1::text[])`, [
            [`evt_old_orphan${stamp}`, `evt_old_done${stamp}`],
          ]);
          return r.rowCount === 0;
        },
        5000,
        'old unreferenced event bodies purged',
      );
      const events = (await db.query<{ id: string }>(`SELECT id FROM events WHERE id LIKE $1`, [`%${stamp}`])).rows.map(
        (r) => r.id,
      );
      expect(events).not.toContain(`evt_old_done${stamp}`);
      expect(events).toEqual(expect.arrayContaining([`evt_old_pending${stamp}`, `evt_recent_done${stamp}`]));
      const att = await db.query('SELECT delivery_id FROM attempts WHERE delivery_id = ANY ($1::uuid[])', [
        [oldDone, recentDone],
      ]);
      expect(att.rows.map((r: { delivery_id: string }) => r.delivery_id)).toEqual([recentDone]);
    } finally {
      await db.end();
    }
  });
});
