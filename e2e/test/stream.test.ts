/**
 * The event stream end to end: the emulator (WhatsApp and the contact's phone) → the real connection service
 * (Baileys, linked by scanning the API's QR) → RabbitMQ → the gateway's `/api/ws` socket, next to webhook-delivery
 * posting the same events to a receiver. Sockets open before the connection exists (it is created after they
 * connected); the `connectionId` filter is checked against the connection service's own ownership answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateToken, UpsertUser } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { ConnectionEnv } from '../../services/connection/src/config.js';
import { startConnectionService, type ConnectionService } from '../../services/connection/src/service.js';
import { gatewayConfig } from '../../services/gateway/src/config.js';
import { startGateway, type Gateway } from '../../services/gateway/src/service.js';
import {
  admittedStream,
  closeOf,
  publishWhatsAppEvent,
  type StreamClient,
} from '../../services/gateway/test/stream-support.js';
import { TokenConfigSchema } from '../../services/token/src/config.js';
import { startTokenService, type TokenService } from '../../services/token/src/service.js';
import { configFromEnv } from '../../services/webhook-delivery/src/config.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../services/webhook-delivery/src/service.js';

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

const PUBLIC_API_URL = 'https://api.wahooks.example';
const CONTACT = '15557654321';

const logger = createLogger('e2e', 'silent');
let env: TestEnv;
let emulator: Emulator;
let receiver: http.Server;
let receiverUrl = '';
const deliveries: { headers: http.IncomingHttpHeaders; body: any }[] = [];
let tokenSvc: TokenService;
let gw: Gateway;
let wd: WebhookDelivery;
let conn: ConnectionService;
let client: Broker;
const alice = { id: randomUUID(), token: '' };
const bob = { id: randomUUID(), token: '' };

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  env = await createTestEnv('e2e_stream');
  emulator = await startEmulator();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  tokenSvc = await startTokenService(parseConfig(TokenConfigSchema, { ...env.serviceEnv }), { logger });
  gw = await startGateway(
    gatewayConfig({ ...env.serviceEnv, PORT: '0', RATE_LIMIT_PER_MINUTE: '10000', PUBLIC_API_URL }),
    { logger },
  );
  wd = await startWebhookDelivery(
    configFromEnv({ ...env.serviceEnv, PUBLIC_API_URL, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }),
    { logger },
  );
  conn = await startConnectionService(
    parseConfig(ConnectionEnv, {
      ...env.serviceEnv,
      WA_WEBSOCKET_URL: emulator.url,
      WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
      WA_LOG_LEVEL: 'silent',
    }),
    { logger },
  );
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  for (const u of [alice, bob]) {
    await client.request(UpsertUser, { id: u.id, email: `${u.id}@example.test` });
    u.token = (await client.request(CreateToken, { userId: u.id, name: 'e2e-stream' })).token;
  }
}, 120_000);

afterAll(async () => {
  await client?.close();
  await conn?.stop();
  await gw?.stop(100);
  await wd?.stop();
  await tokenSvc?.stop();
  receiver?.closeAllConnections();
  receiver?.close();
  await emulator?.close();
  await env?.cleanup();
});

describe('/api/ws end to end', () => {
  let connectionId = '';
  let phone = ''; // the linked number (the emulator's phone)
  let aliceAll: StreamClient;
  let bobAll: StreamClient;

  it('an inbound WhatsApp message reaches its owner’s socket (opened before the connection existed), as the webhook', async () => {
    aliceAll = await admittedStream(gw, { token: alice.token });
    bobAll = await admittedStream(gw, { token: bob.token });

    const created = await api(alice.token, 'POST', '/api/connections', { name: 'stream' });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    await until('the webhook', async () => {
      const r = await api(alice.token, 'POST', `/api/connections/${connectionId}/webhooks`, {
        url: receiverUrl,
        events: ['message'],
      });
      return r.status === 201;
    });
    const png = await until('a QR', async () => {
      const r = await api(alice.token, 'GET', `/api/connections/${connectionId}/qr`);
      return r.status === 200 && (r.body.value as string);
    });
    const image = PNG.sync.read(Buffer.from(png, 'base64'));
    ({ phone } = await emulator.scan(jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data));
    await until('session.status WORKING on the socket', () =>
      aliceAll.messages.some((m) => m.event === 'session.status' && m.payload.status === 'WORKING'),
    );

    const { id: textId } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'hello stream' });
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000), Buffer.from([0xff, 0xd9])]);
    await emulator.inbound({
      to: phone,
      from: CONTACT,
      type: 'image',
      data: jpeg.toString('base64'),
      caption: 'pic',
      mimetype: 'image/jpeg',
    });
    const messages = await until('two messages on the socket', () => {
      const got = aliceAll.messages.filter((m) => m.event === 'message');
      return got.length >= 2 && got;
    });
    // Back-to-back messages from one contact may swap (connection README, known gaps): pick each by its body.
    const text = messages.find((m) => m.payload.body === 'hello stream')!;
    const picture = messages.find((m) => m !== text)!;
    expect(text).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
      event: 'message',
      connectionId,
      payload: expect.objectContaining({ id: `false_${CONTACT}@c.us_${textId}`, body: 'hello stream', fromMe: false }),
      timestamp: expect.any(String),
    });
    expect(new Date(text.timestamp).toISOString()).toBe(text.timestamp);
    expect(Math.abs(Date.parse(text.timestamp) - Date.now())).toBeLessThan(60_000);
    expect(JSON.stringify(aliceAll.messages)).not.toContain(alice.id); // the owner id is internal

    // The same events as the webhook got: same id (the webhook-id), same payload, same absolute media URL.
    const hooked = await until('both webhooks', () => deliveries.length >= 2 && deliveries);
    // Deliveries run concurrently (no order is promised between webhooks): compare them by webhook-id.
    const byId = new Map(hooked.map((d) => [d.headers['webhook-id'], d.body.payload]));
    expect([...byId.keys()].sort()).toEqual([text.id, picture.id].sort());
    expect(byId.get(text.id)).toEqual(text.payload);
    expect(byId.get(picture.id)).toEqual(picture.payload);
    expect(picture.payload.media.url).toMatch(new RegExp(`^${PUBLIC_API_URL}/api/connections/${connectionId}/media/`));

    // Bob's socket, open all along, got none of it.
    await new Promise((r) => setTimeout(r, 300));
    expect(bobAll.messages).toEqual([]);
  }, 120_000);

  it('connectionId=: only that connection; another user’s (or an unknown) connection is refused with 4003', async () => {
    expect(connectionId).not.toBe('');
    const only = await admittedStream(gw, { token: alice.token, connectionId });
    const messagesOnly = await admittedStream(gw, { token: alice.token, events: 'message' });
    const otherConnection = (await api(alice.token, 'POST', '/api/connections', { name: 'second' })).body.id as string;
    // An event of Alice's second connection (not linked: published as the connection service would).
    await publishWhatsAppEvent(client, { userId: alice.id, connectionId: otherConnection, event: 'message' });
    await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'filtered' });

    await until('the filtered message', () => only.messages.some((m) => m.payload?.body === 'filtered'));
    await until('both messages', () => messagesOnly.messages.filter((m) => m.event === 'message').length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(only.messages.map((m) => m.connectionId))).toEqual(new Set([connectionId]));
    expect(new Set(messagesOnly.messages.map((m) => m.event))).toEqual(new Set(['message']));
    expect(new Set(messagesOnly.messages.map((m) => m.connectionId))).toEqual(new Set([connectionId, otherConnection]));

    expect(await closeOf(gw.url, { token: bob.token, connectionId })).toEqual({
      code: 4003,
      reason: `Unknown connection ${connectionId}`,
    });
    const unknown = randomUUID();
    expect(await closeOf(gw.url, { token: alice.token, connectionId: [connectionId, unknown] })).toEqual({
      code: 4003,
      reason: `Unknown connection ${unknown}`,
    });
    for (const c of [only, messagesOnly, aliceAll, bobAll]) await c.close();
  }, 60_000);
});
