import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { on } from '@wahooks/broker';
import { CreateWebhook, ListWebhookLogs, UpdateWebhook, WebhookDisabled, type PayloadOf } from '@wahooks/contracts';
import { createHarness, sleep, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
const disabled: PayloadOf<typeof WebhookDisabled>[] = [];

beforeAll(async () => {
  // Disable by duration only: failing continuously for 500 ms (production: 5 days).
  h = await createHarness('wd_autodisable', {
    retrySchedule: [300, 600],
    disableAfterFailures: 0,
    disableAfterMs: 500,
  });
  await h.client.subscribe('disabled-watch', [on(WebhookDisabled, async (p) => void disabled.push(p))]);
});
afterAll(async () => {
  await h.close();
});

describe('auto-disable and manual deactivation', () => {
  it('disables a webhook that has been failing for longer than WEBHOOK_DISABLE_AFTER', async () => {
    const rx = await startReceiver(() => 503);
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      const d = await waitFor(() => disabled.find((x) => x.webhookId === w.id), 10_000, 'webhook.disabled');
      expect(d.reason).toBe('failing');
      // Attempt 1 at 0 ms starts the clock, attempt 2 at ~300 ms is (normally) inside it, attempt 3 at ~900 ms is
      // past it; the first failure alone never disables.
      expect(rx.received.length).toBeGreaterThanOrEqual(2);
      expect(rx.received.length).toBeLessThanOrEqual(3);
    } finally {
      await rx.close();
    }
  });

  it('a webhook deactivated by its owner gets no further retries', async () => {
    const rx = await startReceiver(() => 500);
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      await waitFor(() => rx.received.length >= 1, 5000, 'first attempt');
      await h.client.request(UpdateWebhook, { userId, webhookId: w.id, active: false });
      await sleep(1500);
      expect(rx.received).toHaveLength(1);
      const logs = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
      expect(logs.items[0]).toMatchObject({ status: 'failed', attempts: 1 });
    } finally {
      await rx.close();
    }
  });
});
