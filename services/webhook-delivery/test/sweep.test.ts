import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { on } from '@wahooks/broker';
import { CreateWebhook, ListWebhookLogs, WebhookDisabled, type PayloadOf } from '@wahooks/contracts';
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
    const db = new pg.Client({ connectionString: h.env.databaseUrl });
    await db.connect();
    try {
      // What an outcome that disabled the webhook leaves behind when the process dies before publishing.
      await db.query(
        `UPDATE webhook_delivery.webhooks SET active = false, disabled_reason = 'gone', disabled_at = now(),
           disable_unpublished = true WHERE id = $1`,
        [w.id],
      );
      const d = await waitFor(() => disabled.find((x) => x.webhookId === w.id), 5000, 'webhook.disabled');
      expect(d).toMatchObject({ reason: 'gone', userId, connectionId, url: rx.url() });
      const row = await waitFor(async () => {
        const r = await h.service!.deps.webhooks.get(w.id);
        return r && !r.disable_unpublished ? r : null;
      });
      expect(row.active).toBe(false);
    } finally {
      await db.end();
    }
  });
});
