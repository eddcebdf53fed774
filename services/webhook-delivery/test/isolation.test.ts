import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateWebhook } from '@wahooks/contracts';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await createHarness('wd_isolation', {
    endpointConcurrency: 4,
    endpointMaxWaitMs: 500,
    timeoutMs: 5000,
    busyDelayMs: 300,
  });
});
afterAll(async () => {
  await h.close();
});

describe('endpoint isolation', () => {
  it('a slow receiver does not delay a fast one', async () => {
    const slow = await startReceiver(() => ({ status: 200, delayMs: 1500 }));
    const fast = await startReceiver(() => 200);
    try {
      const { connectionId, userId } = await h.newConnection();
      await h.client.request(CreateWebhook, { userId, connectionId, url: slow.url(), events: ['*'] });
      await h.client.request(CreateWebhook, { userId, connectionId, url: fast.url(), events: ['*'] });
      const started = Date.now();
      await Promise.all(Array.from({ length: 200 }, () => h.publishEvent({ connectionId, userId })));
      await waitFor(() => fast.received.length >= 200, 10_000, '200 fast deliveries');
      const fastDone = Date.now() - started;
      process.stdout.write(`fast endpoint: 200 deliveries in ${fastDone} ms; slow got ${slow.received.length}\n`);
      // 200 events through the slow endpoint would take 200 / 4 x 1.5 s = 75 s; the fast one is not queued behind it.
      expect(fastDone).toBeLessThan(4000);
      expect(slow.received.length).toBeLessThanOrEqual(4 * Math.ceil(fastDone / 1500) + 4);
    } finally {
      await slow.close();
      await fast.close();
    }
  });
});
