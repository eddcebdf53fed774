/**
 * Webhook delivery's Prometheus metrics, scraped over HTTP from a /metrics server in this process (main.ts runs
 * the same on METRICS_PORT): deliveries by outcome, retries, parked deliveries by reason, attempt latency by
 * result, and the broker's consumed-message counts of the service's queues.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateWebhook } from '@wahooks/contracts';
import { startMetricsServer, type MetricsServer } from '@wahooks/metrics';
import { metricValue, scrapeMetrics } from '@wahooks/testing';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
let metrics: MetricsServer;

beforeAll(async () => {
  h = await createHarness('wd_metrics', { retrySchedule: [100, 200], timeoutMs: 1000 }); // 3 attempts at most
  metrics = await startMetricsServer({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await h.close();
  await metrics?.close();
});

const scrape = () => scrapeMetrics(metrics.port!);

describe('webhook delivery metrics', () => {
  it('counts delivered, retried and parked deliveries, and times each attempt by result', async () => {
    const ok = await startReceiver(() => 200);
    const failing = await startReceiver(() => 500);
    const gone = await startReceiver(() => 410);
    try {
      const { connectionId, userId } = await h.newConnection();
      for (const rx of [ok, failing, gone])
        await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      // One event (a 410 disables its webhook, so a second event would race that): 1 delivered, 1 parked after 3
      // attempts, 1 parked at once on 410.
      await h.publishEvent({ connectionId, userId });

      await waitFor(
        async () => metricValue(await scrape(), 'webhook_deliveries_total', { outcome: 'parked' }) === 2,
        20_000,
        'the parked deliveries',
      );
      const text = await scrape();
      expect(metricValue(text, 'webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
      expect(metricValue(text, 'webhook_retries_total')).toBe(2); // the 500 receiver's first two attempts
      expect(metricValue(text, 'webhook_parked_total', { reason: 'exhausted' })).toBe(1);
      expect(metricValue(text, 'webhook_parked_total', { reason: 'gone' })).toBe(1);
      const attempts = 'webhook_attempt_duration_seconds_count';
      expect(metricValue(text, attempts, { result: '2xx' })).toBe(1);
      expect(metricValue(text, attempts, { result: '5xx' })).toBe(3);
      expect(metricValue(text, attempts, { result: '4xx' })).toBe(1);
      expect(metricValue(text, 'webhook_attempt_duration_seconds_sum', { result: '5xx' })).toBeGreaterThan(0);
      expect(ok.received).toHaveLength(1);
      expect(failing.received).toHaveLength(3);
      // The broker side: the fan-out consumed the event from its queue.
      const fanOut = [...text.matchAll(/broker_messages_consumed_total\{queue="([^"]*fan-out[^"]*)"\} (\d+)/g)];
      expect(fanOut.length).toBeGreaterThan(0);
      expect(fanOut.reduce((n, m) => n + Number(m[2]), 0)).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all([ok.close(), failing.close(), gone.close()]);
    }
  });
});
