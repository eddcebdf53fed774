import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateWebhook, ListWebhookLogs } from '@wahooks/contracts';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;

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
});
