import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  ConnectionDeleted,
  CreateWebhook,
  DeleteWebhook,
  ListWebhookLogs,
  ListWebhooks,
  ReplayDelivery,
  RotateWebhookSecret,
  TestWebhook,
  UpdateWebhook,
} from '@wahooks/contracts';
import { createHarness, sleep, startReceiver, waitFor, type Harness } from './harness.js';

let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  h = await createHarness('wd_api');
  rx = await startReceiver((r) => (r.path === '/slow' ? { status: 200, delayMs: 800 } : 200));
});
afterAll(async () => {
  await rx.close();
  await h.close();
});

const rejectsWith = (p: Promise<unknown>, statusCode: number, message?: string | RegExp) =>
  expect(p).rejects.toMatchObject({
    statusCode,
    ...(message ? { body: { message: expect.stringMatching(message) } } : {}),
  });

describe('webhook API', () => {
  it('validates url and events with clear 400s', async () => {
    const { connectionId, userId } = await h.newConnection();
    const create = (body: Record<string, unknown>) =>
      h.client.request(CreateWebhook, { userId, connectionId, ...body } as never);
    await rejectsWith(create({ events: ['*'] }), 400, /^url and events are required$/);
    await rejectsWith(create({ url: rx.url() }), 400, /^url and events are required$/);
    await rejectsWith(create({ url: 'not a url', events: ['*'] }), 400, /http\(s\) URL/);
    await rejectsWith(create({ url: 'ftp://example.com/x', events: ['*'] }), 400, /http or https/);
    await rejectsWith(create({ url: rx.url(), events: [] }), 400, /must not be empty/);
    await rejectsWith(create({ url: rx.url(), events: 'message' }), 400, /array/);
    await rejectsWith(
      create({ url: rx.url(), events: ['message', 'nope.event'] }),
      400,
      /unknown event name\(s\): nope.event/,
    );
    const w = await create({ url: rx.url(), events: ['message', 'message'] });
    expect(w).toMatchObject({ events: ['message'], active: true, sessionId: connectionId, userId });
    await rejectsWith(
      h.client.request(UpdateWebhook, { userId, webhookId: (w as { id: string }).id, active: 'yes' as never }),
      400,
      /active must be a boolean/,
    );
  });

  it('refuses URLs resolving to loopback, private, link-local or metadata addresses unless allow-listed', async () => {
    const { connectionId, userId } = await h.newConnection();
    const create = (url: string) => h.client.request(CreateWebhook, { userId, connectionId, url, events: ['*'] });
    for (const url of [
      `http://localhost:${rx.port}/hook`, // a NAME resolving to 127.0.0.1: "127.0.0.1" is allow-listed, "localhost" is not
      'http://[::1]:8080/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      'http://192.168.0.10/',
      'http://172.16.5.4/',
      'http://100.100.100.200/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.2]/',
      'http://127.0.0.2/',
      'http://0.0.0.0/',
    ]) {
      await rejectsWith(create(url), 400, /must not point to a loopback, private, link-local or metadata address/);
    }
    await rejectsWith(create('http://does-not-exist.invalid/'), 400, /does not resolve/);
    await expect(create(rx.url())).resolves.toMatchObject({ url: rx.url() }); // allow-listed host
  });

  it('re-checks the address at send time (DNS rebinding): nothing reaches a private address', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url('/rebind'), events: ['*'] });
    // As if the name now resolved elsewhere: point the stored URL at a non-allow-listed loopback name.
    await h.service!.deps.webhooks.update(w.id, { url: `http://localhost:${rx.port}/rebind` });
    await h.client.request(TestWebhook, { userId, webhookId: w.id });
    const log = await waitFor(
      async () => {
        const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
        return l.items[0]?.attempts ? l.items[0] : null;
      },
      5000,
      'first attempt',
    );
    // the category, not the address it resolved to
    expect(log.attemptLog[0]!.error).toBe(
      'BLOCKED_ADDRESS: localhost resolves to a blocked address (refused: loopback)',
    );
    expect(log.attemptLog[0]!.statusCode).toBeNull();
    expect(rx.received.filter((r) => r.path === '/rebind')).toHaveLength(0);
  });

  it('checks ownership: 404 / 403 with the original messages; 503 while the connection service is unknown', async () => {
    const a = await h.newConnection();
    const b = await h.newConnection();
    const w = await h.client.request(CreateWebhook, {
      userId: a.userId,
      connectionId: a.connectionId,
      url: rx.url(),
      events: ['*'],
    });
    await rejectsWith(
      h.client.request(ListWebhooks, { userId: b.userId, connectionId: a.connectionId }),
      403,
      /^You do not own this connection$/,
    );
    await rejectsWith(
      h.client.request(ListWebhooks, { userId: a.userId, connectionId: 'nope' }),
      404,
      /^Connection not found$/,
    );
    await rejectsWith(
      h.client.request(ListWebhooks, { userId: a.userId, connectionId: randomUUID() }),
      503,
      /Connection service unavailable/,
    );
    for (const req of [
      h.client.request(UpdateWebhook, { userId: b.userId, webhookId: w.id, active: false }),
      h.client.request(DeleteWebhook, { userId: b.userId, webhookId: w.id }),
      h.client.request(ListWebhookLogs, { userId: b.userId, webhookId: w.id }),
      h.client.request(TestWebhook, { userId: b.userId, webhookId: w.id }),
      h.client.request(RotateWebhookSecret, { userId: b.userId, webhookId: w.id }),
    ]) {
      await rejectsWith(req, 403, /^You do not own this webhook config$/);
    }
    await rejectsWith(
      h.client.request(UpdateWebhook, { userId: a.userId, webhookId: randomUUID(), active: false }),
      404,
      /^Webhook config not found$/,
    );
    await rejectsWith(
      h.client.request(DeleteWebhook, { userId: a.userId, webhookId: 'x' }),
      404,
      /^Webhook config not found$/,
    );
    await rejectsWith(
      h.client.request(ReplayDelivery, { userId: a.userId, webhookId: w.id, logId: 'x' }),
      404,
      /^Webhook log not found$/,
    );
    await expect(h.client.request(DeleteWebhook, { userId: a.userId, webhookId: w.id })).resolves.toEqual({
      success: true,
    });
    await expect(h.client.request(ListWebhooks, { userId: a.userId, connectionId: a.connectionId })).resolves.toEqual(
      [],
    );
  });

  it('a webhook deleted between the ownership check and the write answers 404, not 400', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    const repo = h.service!.deps.webhooks;
    // The row vanishes after own.webhook() has seen it: the repo's write finds nothing.
    const update = jest.spyOn(repo, 'update').mockResolvedValueOnce(null);
    const rotate = jest.spyOn(repo, 'rotate').mockResolvedValueOnce(null);
    try {
      await rejectsWith(
        h.client.request(UpdateWebhook, { userId, webhookId: w.id, active: false }),
        404,
        /^Webhook config not found$/,
      );
      await rejectsWith(
        h.client.request(RotateWebhookSecret, { userId, webhookId: w.id }),
        404,
        /^Webhook config not found$/,
      );
    } finally {
      update.mockRestore();
      rotate.mockRestore();
    }
  });

  it('lists logs newest first, filtered by status and event, paginated with limit + before', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    const sent = [];
    for (let i = 0; i < 5; i++)
      sent.push(await h.publishEvent({ connectionId, userId, event: i % 2 ? 'message.ack' : 'message' }));
    await waitFor(
      async () => {
        const l = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id, status: 'delivered' });
        return l.items.length === 5;
      },
      10_000,
      '5 delivered',
    );
    const all = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id });
    const createdAt = all.items.map((l) => l.createdAt);
    expect([...createdAt].sort().reverse()).toEqual(createdAt);
    expect(all.nextCursor).toBeNull();

    const p1 = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id, limit: '2' });
    expect(p1.items).toHaveLength(2);
    expect(p1.nextCursor).toBe(p1.items[1]!.id);
    const p2 = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id, limit: 2, before: p1.nextCursor! });
    const p3 = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id, limit: 2, before: p2.nextCursor! });
    expect(p3.nextCursor).toBeNull();
    expect([...p1.items, ...p2.items, ...p3.items].map((l) => l.id)).toEqual(all.items.map((l) => l.id));

    const acks = await h.client.request(ListWebhookLogs, { userId, webhookId: w.id, event: 'message.ack' });
    expect(acks.items.map((l) => l.eventType)).toEqual(['message.ack', 'message.ack']);
    expect((await h.client.request(ListWebhookLogs, { userId, webhookId: w.id, status: 'failed' })).items).toEqual([]);

    await rejectsWith(
      h.client.request(ListWebhookLogs, { userId, webhookId: w.id, limit: '0' }),
      400,
      /limit must be an integer between 1 and 100/,
    );
    await rejectsWith(h.client.request(ListWebhookLogs, { userId, webhookId: w.id, limit: 101 }), 400, /limit/);
    await rejectsWith(
      h.client.request(ListWebhookLogs, { userId, webhookId: w.id, status: 'done' as never }),
      400,
      /status must be one of/,
    );
    await rejectsWith(
      h.client.request(ListWebhookLogs, { userId, webhookId: w.id, before: 'abc' }),
      400,
      /before must be a cursor/,
    );

    // Logs and attempts match what the receiver saw.
    for (const l of all.items) {
      const seen = rx.received.filter((r) => r.headers['webhook-id'] === l.eventId);
      expect(seen).toHaveLength(l.attempts);
      expect(JSON.parse(seen[0]!.body)).toEqual(l.payload);
      expect(l.attemptLog.map((a) => a.statusCode)).toEqual(seen.map(() => 200));
    }
    expect(new Set(all.items.map((l) => l.eventId))).toEqual(new Set(sent.map((s) => s.id)));
    // A delivered log can be replayed; replaying it again while that replay is pending is a 409.
    const slow = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url('/slow'), events: ['*'] });
    const t = await h.client.request(TestWebhook, { userId, webhookId: slow.id });
    await waitFor(
      async () =>
        (await h.client.request(ListWebhookLogs, { userId, webhookId: slow.id, status: 'delivered' })).items.length,
      5000,
      'test delivered',
    );
    await h.client.request(ReplayDelivery, { userId, webhookId: slow.id, logId: t.logId });
    await rejectsWith(
      h.client.request(ReplayDelivery, { userId, webhookId: slow.id, logId: t.logId }),
      409,
      /still pending/,
    );
  });

  it('a deleted connection takes its webhooks and logs with it', async () => {
    const { connectionId, userId } = await h.newConnection();
    const w = await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    await h.client.publish(ConnectionDeleted, { connectionId, userId });
    await waitFor(async () => !(await h.service!.deps.webhooks.get(w.id)), 5000, 'webhook removed');
    await sleep(10);
  });
});
