import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { on } from '@wahooks/broker';
import {
  CreateWebhook,
  ListWebhookLogs,
  ListWebhooks,
  ReplayDelivery,
  UpdateWebhook,
  WebhookDisabled,
  type PayloadOf,
} from '@wahooks/contracts';
import { queueMessageCount } from '@wahooks/testing';
import { ParkedQueue } from '../src/topology.js';
import { createHarness, sleep, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
const disabled: PayloadOf<typeof WebhookDisabled>[] = [];

beforeAll(async () => {
  // Ladder 300ms, 600ms = 3 attempts; disable after 2 consecutive failed deliveries.
  h = await createHarness('wd_retry', { retrySchedule: [300, 600], timeoutMs: 400, disableAfterFailures: 2 });
  await h.client.subscribe('disabled-watch', [on(WebhookDisabled, async (p) => void disabled.push(p))]);
});
afterAll(async () => {
  await h.close();
});

const parkedCount = () => queueMessageCount(h.env.rabbitmqUrl, `${h.env.namespace}${ParkedQueue}`);

describe('retries', () => {
  it('follows the ladder, parks after the last attempt, and a replay delivers', async () => {
    let fail = true;
    const rx = await startReceiver(() => (fail ? { status: 500, body: 'x'.repeat(10_000) } : 200));
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      const evt = await h.publishEvent({ connectionId, userId });
      await waitFor(() => rx.received.length >= 3, 10_000, '3 attempts');
      const logs = await waitFor(
        async () => {
          const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
          return l.items[0]?.status === 'failed' ? l : null;
        },
        5000,
        'failed status',
      );
      await sleep(1200); // nothing more comes
      expect(rx.received).toHaveLength(3);
      const ids = new Set(rx.received.map((r) => r.headers['webhook-id']));
      expect([...ids]).toEqual([evt.id]); // stable across retries
      const gaps = [rx.received[1]!.at - rx.received[0]!.at, rx.received[2]!.at - rx.received[1]!.at];
      // the rungs in order (300 ms, then 600 ms); the upper bounds only say "this ladder", with seconds of slack
      expect(gaps[0]).toBeGreaterThanOrEqual(280);
      expect(gaps[0]).toBeLessThan(5000);
      expect(gaps[1]).toBeGreaterThanOrEqual(580);
      expect(gaps[1]).toBeLessThan(5000);

      const log = logs.items[0]!;
      expect(log.attempts).toBe(3);
      expect(log.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
        [1, 500, 'HTTP 500'],
        [2, 500, 'HTTP 500'],
        [3, 500, 'HTTP 500'],
      ]);
      expect(log.attemptLog[0]!.responseBody).toHaveLength(4096); // capped
      expect(await parkedCount()).toBeGreaterThanOrEqual(1);

      fail = false;
      const replay = await h.client.request(ReplayDelivery, { userId, webhookId: w.id, logId: log.id });
      expect(replay).toMatchObject({ success: true, logId: log.id });
      await waitFor(() => rx.received.length >= 4, 5000, 'replayed delivery');
      expect(rx.received[3]!.headers['webhook-id']).toBe(evt.id);
      const after = await waitFor(
        async () => {
          const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
          return l.items[0]?.status === 'delivered' ? l.items[0] : null;
        },
        5000,
        'delivered after replay',
      );
      expect(after.attempts).toBe(4);
      expect(after.attemptLog.at(-1)).toMatchObject({ attempt: 4, statusCode: 200 });
      await expect(
        h.client.request(ReplayDelivery, { userId, webhookId: w.id, logId: '00000000-0000-4000-8000-000000000000' }),
      ).rejects.toMatchObject({
        statusCode: 404,
      });
    } finally {
      await rx.close();
    }
  });

  it('410 fails the delivery at once and disables the webhook, publishing webhook.disabled', async () => {
    const rx = await startReceiver(() => 410);
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      const d = await waitFor(() => disabled.find((x) => x.webhookId === w.id), 10_000, 'webhook.disabled');
      expect(d).toMatchObject({ reason: 'gone', userId, connectionId, url: rx.url() });
      const [cfg] = await h.client.request(ListWebhooks, { userId, connectionId });
      expect(cfg!.active).toBe(false);
      const logs = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
      expect(logs.items[0]).toMatchObject({ status: 'failed', attempts: 1 });
      // An inactive webhook gets no new deliveries.
      await h.publishEvent({ connectionId, userId });
      await sleep(500);
      expect(rx.received).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });

  it('a timeout counts as a failure; N consecutive failed deliveries disable the webhook', async () => {
    const rx = await startReceiver(() => ({ status: 200, delayMs: 5000 })); // far beyond the 400 ms deadline
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      await h.publishEvent({ connectionId, userId });
      const d = await waitFor(
        () => disabled.find((x) => x.webhookId === w.id),
        15_000,
        'disabled after 2 failed deliveries',
      );
      expect(d.reason).toBe('failing');
      const logs = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
      expect(logs.items).toHaveLength(2);
      for (const l of logs.items) {
        expect(l.status).toBe('failed');
        expect(l.attemptLog.every((a) => a.error === 'TIMEOUT' && a.statusCode === null)).toBe(true);
        // ended by the 400 ms deadline, not by the answer 5 s later
        expect(l.attemptLog.every((a) => a.durationMs >= 350 && a.durationMs < 4000)).toBe(true);
      }
      const before = await h.service!.deps.webhooks.get(w.id);
      expect(before).toMatchObject({ active: false, consecutive_failures: 2, disabled_reason: 'failing' });
      expect(before!.failing_since).toBeInstanceOf(Date);
      // Re-activating resets the counters.
      const re = await h.client.request(UpdateWebhook, { userId, webhookId: w.id, active: true });
      expect(re.active).toBe(true);
      const after = await h.service!.deps.webhooks.get(w.id);
      expect(after).toMatchObject({ active: true, consecutive_failures: 0, failing_since: null });
    } finally {
      await rx.close();
    }
  });

  it('honours Retry-After within [wait, 2 x wait]', async () => {
    const rx = await startReceiver((_r, all) =>
      all.length === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : 200,
    );
    try {
      const { connectionId, userId } = await h.newConnection();
      await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      await waitFor(() => rx.received.length >= 2, 5000, 'second attempt');
      const gap = rx.received[1]!.at - rx.received[0]!.at;
      expect(gap).toBeGreaterThanOrEqual(580); // 2 x 300 ms, not 1 h
      expect(gap).toBeLessThan(5000);
    } finally {
      await rx.close();
    }
  });

  it('a NUL byte in the answer is stored replaced, not a failed batch: one POST, delivered', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: 'ok\0bye' }));
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      const log = await waitFor(
        async () => {
          const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
          return l.items[0]?.status === 'delivered' ? l.items[0] : null;
        },
        5000,
        'delivered',
      );
      await sleep(800); // no re-send
      expect(rx.received).toHaveLength(1);
      expect(log.attempts).toBe(1);
      expect(log.attemptLog[0]).toMatchObject({ statusCode: 200, responseBody: 'ok\uFFFDbye' });
    } finally {
      await rx.close();
    }
  });

  it('replay answers 409 for a pending delivery, but accepts one whose next attempt is long overdue', async () => {
    const rx = await startReceiver();
    const db = new pg.Client({ connectionString: h.env.databaseUrl });
    await db.connect();
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      // A row whose task was lost (crash between the write and the publish).
      const logId = await h.service!.deps.deliveries.createForced(`evt_lost${Date.now()}`, 'test', '{}', w.id);
      await expect(h.client.request(ReplayDelivery, { userId, webhookId: w.id, logId })).rejects.toMatchObject({
        statusCode: 409,
      });
      await db.query(
        `UPDATE webhook_delivery.deliveries SET next_attempt_at = now() - interval '1 day' WHERE id = $1`,
        [logId],
      );
      await expect(h.client.request(ReplayDelivery, { userId, webhookId: w.id, logId })).resolves.toMatchObject({
        success: true,
        logId,
      });
      await waitFor(() => rx.received.length >= 1, 5000, 'replayed delivery');
      const log = await waitFor(
        async () => {
          const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
          return l.items.find((x) => x.id === logId && x.status === 'delivered');
        },
        5000,
        'delivered',
      );
      expect(log.attempts).toBe(1);
    } finally {
      await db.end();
      await rx.close();
    }
  });

  it('a 302 is a failed attempt (HTTP 302), and the redirect target is never requested', async () => {
    const target = await startReceiver();
    const rx = await startReceiver((_r, all) =>
      all.length === 1 ? { status: 302, headers: { location: target.url('/moved') } } : 200,
    );
    try {
      const { connectionId, userId } = await h.newConnection();
      const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
      await h.publishEvent({ connectionId, userId });
      const log = await waitFor(
        async () => {
          const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
          return l.items[0]?.status === 'delivered' ? l.items[0] : null;
        },
        5000,
        'delivered on the retry',
      );
      expect(log.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
        [1, 302, 'HTTP 302'],
        [2, 200, null],
      ]);
      expect(rx.received).toHaveLength(2);
      expect(target.received).toHaveLength(0);
    } finally {
      await rx.close();
      await target.close();
    }
  });

  it('connection refused follows the ladder and parks', async () => {
    const gone = await startReceiver();
    const url = gone.url();
    await gone.close(); // nothing listens on that port any more
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url, events: ['*'] });
    await h.publishEvent({ connectionId, userId });
    const log = await waitFor(
      async () => {
        const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
        return l.items[0]?.status === 'failed' ? l.items[0] : null;
      },
      10_000,
      'parked',
    );
    expect(log.attempts).toBe(3);
    expect(log.attemptLog.map((a) => a.attempt)).toEqual([1, 2, 3]);
    for (const a of log.attemptLog) {
      expect(a.statusCode).toBeNull();
      expect(a.error).toMatch(/^ECONNREFUSED/);
    }
    const at = log.attemptLog.map((a) => Date.parse(a.at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(280); // 300 ms rung
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(580); // 600 ms rung
  });
});
