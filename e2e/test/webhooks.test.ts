/**
 * Webhooks over HTTP: gateway + token service + webhook-delivery in this process, on the real servers.
 * The connection service stands in as a published connection.connection.created event (its owner projection).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { connectBroker, type Broker } from '@wahooks/broker';
import { ConnectionCreated, CreateToken, UpsertUser, WhatsAppEvent } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { gatewayConfig } from '../../services/gateway/src/config.js';
import { startGateway, type Gateway } from '../../services/gateway/src/service.js';
import { TokenConfigSchema } from '../../services/token/src/config.js';
import { startTokenService, type TokenService } from '../../services/token/src/service.js';
import { configFromEnv } from '../../services/webhook-delivery/src/config.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../services/webhook-delivery/src/service.js';

let env: TestEnv;
let gw: Gateway;
let tokenSvc: TokenService;
let wd: WebhookDelivery;
let client: Broker;
let server: http.Server;
let port = 0;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
const userId = randomUUID();
const otherUserId = randomUUID();
let token = '';
let otherToken = '';

async function api(method: string, path: string, body?: unknown, as = token) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${as}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

const until = async (check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

beforeAll(async () => {
  env = await createTestEnv('e2e_webhooks');
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;

  tokenSvc = await startTokenService(TokenConfigSchema.parse({ ...env.serviceEnv }));
  wd = await startWebhookDelivery(
    configFromEnv({ ...env.serviceEnv, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '200ms' }),
    { logger: createLogger('webhook-delivery', 'warn') },
  );
  gw = await startGateway(gatewayConfig({ ...env.serviceEnv, PORT: '0', RATE_LIMIT_PER_MINUTE: '10000' }));
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
  for (const [id, set] of [
    [userId, (t: string) => (token = t)],
    [otherUserId, (t: string) => (otherToken = t)],
  ] as const) {
    await client.request(UpsertUser, { id, email: `${id}@example.test` });
    set((await client.request(CreateToken, { userId: id, name: 'e2e' })).token);
  }
}, 60_000);

afterAll(async () => {
  await client?.close();
  await gw?.stop(100);
  await wd?.stop();
  await tokenSvc?.stop();
  server?.closeAllConnections();
  server?.close();
  await env?.cleanup();
});

describe('webhooks over HTTP', () => {
  it('create → event → signed delivery → logs with X-Next-Cursor; test, rotate, replay, delete', async () => {
    const connectionId = randomUUID();
    await client.publish(ConnectionCreated, { connectionId, userId });
    await until(async () => (await api('GET', `/api/connections/${connectionId}/webhooks`)).status === 200);

    const bad = await api('POST', `/api/connections/${connectionId}/webhooks`, { events: ['*'] });
    expect(bad).toMatchObject({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'url and events are required' },
    });
    const ssrf = await api('POST', `/api/connections/${connectionId}/webhooks`, {
      url: `http://localhost:${port}/`,
      events: ['*'],
    });
    expect(ssrf.status).toBe(400);
    expect(ssrf.body.message).toMatch(/loopback, private, link-local or metadata/);
    expect((await api('GET', `/api/connections/${connectionId}/webhooks`, undefined, otherToken)).body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'You do not own this connection',
    });

    const created = await api('POST', `/api/connections/${connectionId}/webhooks`, {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['*'],
    });
    expect(created.status).toBe(201);
    const w = created.body;
    expect(w).toMatchObject({ userId, sessionId: connectionId, events: ['*'], active: true });
    expect(w.signingSecret).toMatch(/^[0-9a-f]{64}$/);

    for (let i = 0; i < 3; i++) {
      await client.publish(WhatsAppEvent, {
        id: `evt_${Date.now().toString(36)}e2e${i}`,
        timestamp: Date.now(),
        event: 'message',
        session: 'default',
        connectionId,
        userId,
        payload: { body: `hi ${i}` },
      });
    }
    await until(() => received.length >= 3);
    const r = received[0]!;
    new Webhook(w.signingSecret).verify(r.body, r.headers as Record<string, string>);
    const ts = r.headers['x-wahooks-timestamp'] as string;
    expect(r.headers['x-wahooks-signature']).toBe(
      `sha256=${createHmac('sha256', w.signingSecret).update(`${ts}.${r.body}`).digest('hex')}`,
    );

    await until(async () => (await api('GET', `/api/webhooks/${w.id}/logs?status=delivered`)).body.length === 3);
    const page1 = await api('GET', `/api/webhooks/${w.id}/logs?limit=2`);
    expect(page1.status).toBe(200);
    expect(Array.isArray(page1.body)).toBe(true);
    expect(page1.body).toHaveLength(2);
    const cursor = page1.headers.get('x-next-cursor');
    expect(cursor).toBe(page1.body[1].id);
    const page2 = await api('GET', `/api/webhooks/${w.id}/logs?limit=2&before=${cursor}`);
    expect(page2.body).toHaveLength(1);
    expect(page2.headers.get('x-next-cursor')).toBeNull();
    expect(page1.headers.get('access-control-expose-headers')).toBe('X-Next-Cursor');
    expect(page1.body[0].attemptLog[0]).toMatchObject({ attempt: 1, statusCode: 200 });
    expect((await api('GET', `/api/webhooks/${w.id}/logs?limit=500`)).status).toBe(400);

    const test = await api('POST', `/api/webhooks/${w.id}/test`);
    expect(test).toMatchObject({ status: 201, body: { success: true, message: 'Test event enqueued for delivery' } });
    await until(() => received.some((x) => x.headers['x-wahooks-event'] === 'test'));

    const rotated = await api('POST', `/api/webhooks/${w.id}/rotate-secret`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.signingSecret).not.toBe(w.signingSecret);

    const replay = await api('POST', `/api/webhooks/${w.id}/logs/${page2.body[0].id}/replay`);
    expect(replay).toMatchObject({ status: 201, body: { success: true, logId: page2.body[0].id } });
    await until(() => received.length >= 5);
    const replayed = received.at(-1)!;
    expect(replayed.headers['webhook-id']).toBe(page2.body[0].eventId);
    expect((replayed.headers['webhook-signature'] as string).split(' ')).toHaveLength(2); // both secrets during the grace period

    const put = await api('PUT', `/api/webhooks/${w.id}`, { active: false, events: ['message.ack'] });
    expect(put).toMatchObject({ status: 200, body: { active: false, events: ['message.ack'] } });
    expect((await api('PUT', `/api/webhooks/${w.id}`, { active: false }, otherToken)).status).toBe(403);
    expect(await api('DELETE', `/api/webhooks/${w.id}`)).toMatchObject({ status: 200, body: { success: true } });
    expect((await api('DELETE', `/api/webhooks/${w.id}`)).body).toMatchObject({
      statusCode: 404,
      message: 'Webhook config not found',
    });
  }, 60_000);
});
