/**
 * The whole inbound path with nothing published by hand: the emulator (WhatsApp's servers and the contact's phone)
 * → the real connection service (Baileys linked by scanning the QR the API shows) → RabbitMQ → webhook-delivery →
 * a signed POST to a local receiver. Gateway, token, connection and webhook-delivery services run in this process
 * on the real RabbitMQ/Postgres/Redis; everything the test does goes through the HTTP API or the emulator.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { Webhook } from 'standardwebhooks';
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
import { TokenConfigSchema } from '../../services/token/src/config.js';
import { startTokenService, type TokenService } from '../../services/token/src/service.js';
import { configFromEnv } from '../../services/webhook-delivery/src/config.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../services/webhook-delivery/src/service.js';

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

/** Where customers reach the API; deliberately not where this test's gateway listens. */
const PUBLIC_API_URL = 'https://api.wahooks.example';
const CONTACT = '15557654321';
const TEXTS = 20;

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

const logger = createLogger('e2e', 'silent');
let env: TestEnv;
let emulator: Emulator;
let receiver: http.Server;
let receiverUrl = '';
let tokenSvc: TokenService;
let gw: Gateway;
let wd: WebhookDelivery;
let conn: ConnectionService;
let client: Broker;
let token = '';
const received: Delivery[] = [];
const userId = randomUUID();

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = (res.headers.get('content-type') ?? '').includes('json')
    ? JSON.parse(bytes.toString('utf8'))
    : undefined;
  return { status: res.status, headers: res.headers, body: json as any, bytes };
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

/** The WAHooks recipe: HMAC-SHA256 of `${timestamp}.${body}`, keyed by the 64-hex secret as UTF-8 text. */
function wahooksSignatureValid(d: Delivery, secret: string): boolean {
  const ts = d.headers['x-wahooks-timestamp'] as string;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${d.body}`).digest('hex')}`);
  const got = Buffer.from(String(d.headers['x-wahooks-signature']));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

const eventsNamed = (name: string) => received.filter((d) => d.headers['x-wahooks-event'] === name);
/** One entry per webhook-id: a retry or redelivery of the same event counts once (receivers dedupe on it). */
const unique = (ds: Delivery[]) => [...new Map(ds.map((d) => [d.headers['webhook-id'] as string, d])).values()];

beforeAll(async () => {
  env = await createTestEnv('e2e_inbound');
  emulator = await startEmulator();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  tokenSvc = await startTokenService(parseConfig(TokenConfigSchema, { ...env.serviceEnv }), { logger });
  gw = await startGateway(gatewayConfig({ ...env.serviceEnv, PORT: '0', RATE_LIMIT_PER_MINUTE: '10000' }), { logger });
  wd = await startWebhookDelivery(
    configFromEnv({
      ...env.serviceEnv,
      PUBLIC_API_URL,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '200ms',
    }),
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
  await client.request(UpsertUser, { id: userId, email: `${userId}@example.test` });
  token = (await client.request(CreateToken, { userId, name: 'e2e-inbound' })).token;
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

describe('inbound path', () => {
  it('emulator → connection service → webhook-delivery → signed POSTs: every message once, media by URL', async () => {
    // A connection, linked by scanning the QR the API shows; the webhook exists before the first event.
    const created = await api('POST', '/api/connections', { name: 'inbound' });
    expect(created.status).toBe(201);
    const connectionId: string = created.body.id;
    const hook = await until('the webhook (after the ownership event reached webhook-delivery)', async () => {
      const r = await api('POST', `/api/connections/${connectionId}/webhooks`, { url: receiverUrl, events: ['*'] });
      return r.status === 201 && r.body;
    });
    const secret: string = hook.signingSecret;
    const png = await until('a QR over HTTP', async () => {
      const r = await api('GET', `/api/connections/${connectionId}/qr`);
      if (r.status === 503) expect(r.headers.get('retry-after')).toBeTruthy();
      return r.status === 200 && (r.body.value as string | undefined);
    });
    const image = PNG.sync.read(Buffer.from(png, 'base64'));
    const qr = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data;
    const { phone } = await emulator.scan(qr);
    await until(
      'connected',
      async () => (await api('GET', `/api/connections/${connectionId}`)).body.status === 'connected',
    );
    await until('session.status WORKING delivered', () =>
      eventsNamed('session.status').some((d) => JSON.parse(d.body).payload.status === 'WORKING'),
    );

    // The contact sends 20 texts and an image.
    const sentTexts: { id: string; text: string }[] = [];
    for (let i = 0; i < TEXTS; i++) {
      const text = `inbound ${i}`;
      sentTexts.push({ id: (await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text })).id, text });
    }
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(3000), Buffer.from([0xff, 0xd9])]);
    const { id: imageId } = await emulator.inbound({
      to: phone,
      from: CONTACT,
      type: 'image',
      data: jpeg.toString('base64'),
      caption: 'a picture',
      mimetype: 'image/jpeg',
    });

    await until('21 message events', () => unique(eventsNamed('message')).length >= TEXTS + 1, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // anything extra would arrive now
    const messages = unique(eventsNamed('message'));
    expect(messages).toHaveLength(TEXTS + 1);

    // Every delivery is signed both ways over its exact body, and never carries the internal userId.
    for (const d of received) {
      expect(() => new Webhook(secret).verify(d.body, d.headers as Record<string, string>)).not.toThrow();
      expect(wahooksSignatureValid(d, secret)).toBe(true);
      expect(d.headers['webhook-id']).toBe(JSON.parse(d.body).id);
      expect(JSON.parse(d.body)).not.toHaveProperty('userId');
    }
    // Retries (if any) are the same event: same webhook-id, same bytes.
    for (const d of eventsNamed('message'))
      expect(d.body).toBe(messages.find((m) => m.headers['webhook-id'] === d.headers['webhook-id'])!.body);

    // What arrived is what was sent: each text once, plus the image. Deliveries run concurrently and Baileys
    // may hand messages over in more than one batch, so order is not asserted: bodies are compared as a set.
    const position = new Map(sentTexts.map((t, i) => [t.text, i]));
    const bodies = messages
      .map((d) => JSON.parse(d.body))
      .sort((a, b) => (position.get(a.payload.body) ?? -1) - (position.get(b.payload.body) ?? -1));
    for (const b of bodies) expect(b).toMatchObject({ event: 'message', connectionId, engine: 'NOWEB' });
    const texts = bodies.filter((b) => !b.payload.hasMedia);
    expect(texts.map((b) => b.payload.body)).toEqual(sentTexts.map((t) => t.text));
    expect(texts.map((b) => b.payload.id)).toEqual(sentTexts.map((t) => `false_${CONTACT}@c.us_${t.id}`));
    expect(texts.every((b) => b.payload.from === `${CONTACT}@c.us` && b.payload.fromMe === false)).toBe(true);

    // The image: an absolute media URL on PUBLIC_API_URL, whose path through the gateway gives the same bytes.
    const [picture] = bodies.filter((b) => b.payload.hasMedia);
    expect(picture.payload).toMatchObject({ body: 'a picture', id: `false_${CONTACT}@c.us_${imageId}` });
    const url: string = picture.payload.media.url;
    const prefix = `${PUBLIC_API_URL}/api/connections/${connectionId}/media/`;
    expect(url.startsWith(prefix)).toBe(true);
    expect(url.length).toBeGreaterThan(prefix.length);
    expect(picture.payload.media.mimetype).toBe('image/jpeg');
    expect(picture.payload.media).not.toHaveProperty('file'); // internal to the connection service
    const media = await api('GET', url.slice(PUBLIC_API_URL.length));
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toMatch(/^image\/jpeg/);
    expect(media.bytes.equals(jpeg)).toBe(true);

    // The delivery logs agree with the receiver.
    const logs = await api('GET', `/api/webhooks/${hook.id}/logs?event=message&status=delivered&limit=100`);
    expect(logs.status).toBe(200);
    expect(new Set(logs.body.map((l: { eventId: string }) => l.eventId))).toEqual(
      new Set(messages.map((d) => d.headers['webhook-id'])),
    );
  }, 180_000);
});
