import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { CreateWebhook, ListWebhookLogs, RotateWebhookSecret, TestWebhook, UpdateWebhook } from '@wahooks/contracts';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  h = await createHarness('wd_delivery');
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
  await h.close();
});

describe('delivery', () => {
  it('delivers one signed POST per matching webhook, verifiable with both recipes', async () => {
    const { connectionId, userId } = await h.newConnection();
    const all = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url('/all'), events: ['*'] });
    const onlyAck = await h.client.request(CreateWebhook, {
      userId,
      connectionId,
      url: rx.url('/ack'),
      events: ['message.ack'],
    });
    const onlyMsg = await h.client.request(CreateWebhook, {
      userId,
      connectionId,
      url: rx.url('/msg'),
      events: ['message', 'message.any'],
    });
    expect(all.signingSecret).toMatch(/^[0-9a-f]{64}$/);

    const evt = await h.publishEvent({
      connectionId,
      userId,
      event: 'message',
      payload: {
        body: 'hello',
        hasMedia: true,
        // as the connection service emits it: the file name, and the path on the public API
        media: { url: `/api/connections/${connectionId}/media/ABC.jpeg`, file: 'ABC.jpeg', mimetype: 'image/jpeg' },
      },
    });
    await waitFor(
      () => rx.received.filter((r) => r.headers['webhook-id'] === evt.id).length >= 2,
      10_000,
      'two deliveries',
    );
    await new Promise((r) => setTimeout(r, 300));
    const got = rx.received.filter((r) => r.headers['webhook-id'] === evt.id);
    expect(got.map((r) => r.path).sort()).toEqual(['/all', '/msg']);

    const r = got.find((x) => x.path === '/all')!;
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(body.connectionId).toBe(connectionId);
    expect(body.userId).toBeUndefined();
    expect(body.id).toBe(evt.id);
    expect((body.payload as { media: unknown }).media).toEqual({
      url: `https://api.example.test/api/connections/${connectionId}/media/ABC.jpeg`,
      mimetype: 'image/jpeg',
    });
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe('WAHooks-Webhooks/1.0');
    expect(r.headers['x-wahooks-event']).toBe('message');

    // WAHooks recipe (docs/webhooks.md): key = the hex secret as UTF-8 text.
    const ts = r.headers['x-wahooks-timestamp'] as string;
    expect(Math.abs(Date.now() / 1000 - Number(ts))).toBeLessThan(300);
    const expected = 'sha256=' + createHmac('sha256', all.signingSecret).update(`${ts}.${r.body}`).digest('hex');
    expect(r.headers['x-wahooks-signature']).toBe(expected);

    // Standard Webhooks library, with the same secret unchanged.
    const verified = new Webhook(all.signingSecret).verify(r.body, r.headers as Record<string, string>);
    expect(verified).toEqual(body);
    expect(() => new Webhook(onlyAck.signingSecret).verify(r.body, r.headers as Record<string, string>)).toThrow();

    const logs = await h.client.request(ListWebhookLogs, { userId, webhookId: all.id });
    expect(logs.items).toHaveLength(1);
    expect(logs.items[0]).toMatchObject({ status: 'delivered', attempts: 1, eventType: 'message', eventId: evt.id });
    expect(logs.items[0]!.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 200, responseBody: 'ok', error: null }),
    ]);
    expect(logs.items[0]!.payload).toEqual(body);

    // The SQL filter: "*" and the exact name match; "message" is not a prefix of "message.ack".
    const ack = await h.publishEvent({ connectionId, userId, event: 'message.ack', payload: { ack: 3 } });
    await waitFor(
      () => rx.received.filter((r) => r.headers['webhook-id'] === ack.id).length >= 2,
      10_000,
      'two ack deliveries',
    );
    const ackPaths = rx.received.filter((r) => r.headers['webhook-id'] === ack.id).map((r) => r.path);
    expect(ackPaths.sort()).toEqual(['/ack', '/all']);
    // Every delivery of an event is created by one fan-out statement before any is sent: none for /msg.
    const msgLogs = await h.client.request(ListWebhookLogs, { userId, webhookId: onlyMsg.id });
    expect(msgLogs.items.map((l) => l.eventId)).toEqual([evt.id]);
  });

  it('test event ignores the filter and active; rotation signs with both secrets', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, {
      userId,
      connectionId,
      url: rx.url('/test'),
      events: ['message.ack'],
    });
    const rotated = await h.client.request(RotateWebhookSecret, { userId, webhookId: w.id });
    expect(rotated.signingSecret).not.toBe(w.signingSecret);
    const t = await h.client.request(TestWebhook, { userId, webhookId: w.id });
    expect(t).toMatchObject({ success: true, message: 'Test event enqueued for delivery' });
    const r = await waitFor(() => rx.received.find((x) => x.path === '/test'), 10_000, 'test event');
    expect(JSON.parse(r.body)).toEqual({
      event: 'test',
      session: 'test',
      payload: { message: 'This is a test webhook event from WAHooks', timestamp: expect.any(String) },
    });
    expect(r.headers['x-wahooks-event']).toBe('test');
    expect((r.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    new Webhook(rotated.signingSecret).verify(r.body, r.headers as Record<string, string>);
    new Webhook(w.signingSecret).verify(r.body, r.headers as Record<string, string>);
    const ts = r.headers['x-wahooks-timestamp'] as string;
    const sig = (s: string) => 'sha256=' + createHmac('sha256', s).update(`${ts}.${r.body}`).digest('hex');
    expect(r.headers['x-wahooks-signature']).toBe(sig(rotated.signingSecret));
    expect(r.headers['x-wahooks-signature-previous']).toBe(sig(w.signingSecret));
  });

  it('the test event is delivered to a webhook deactivated by its owner (active: false)', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url('/inactive'), events: ['*'] });
    const off = await h.client.request(UpdateWebhook, { userId, webhookId: w.id, active: false });
    expect(off.active).toBe(false);
    const t = await h.client.request(TestWebhook, { userId, webhookId: w.id });
    await waitFor(() => rx.received.find((x) => x.path === '/inactive'), 10_000, 'test event to an inactive webhook');
    const log = await waitFor(
      async () => {
        const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
        return l.items.find((x) => x.id === t.logId && x.status === 'delivered');
      },
      5000,
      'delivered',
    );
    expect(log).toMatchObject({ eventType: 'test', attempts: 1 });
  });
});
