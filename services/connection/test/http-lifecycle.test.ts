/**
 * The whole connection lifecycle over HTTP: the real gateway, token, connection and webhook-delivery services
 * (child processes of their builds), the emulator as the phone, the real RabbitMQ/Postgres/Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { CreateToken, UpsertUser, WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { logger, waitFor } from './support/emulated.js';

const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let env: TestEnv;
let emulator: Emulator;
let broker: Broker;
let base: string;
const procs: ChildProcess[] = [];
const events: WhatsAppEventPayload[] = [];
const hookBodies: any[] = []; // what our webhook receiver was sent
let receiver: Server;
let receiverUrl: string;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function start(service: string, extra: Record<string, string>): void {
  const proc = spawn(process.execPath, [`services/${service}/dist/main.js`], {
    cwd: repo,
    env: { ...process.env, ...env.serviceEnv, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...extra },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.push(proc);
}

async function http(method: string, url: string, who: 'alice' | 'bob' | null = 'alice', body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: data as any };
}

function decodePng(base64: string): string {
  const png = PNG.sync.read(Buffer.from(base64, 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)!.data;
}

async function qr(id: string): Promise<string> {
  const r = await waitFor(
    async () => {
      const res = await http('GET', `/api/connections/${id}/qr`);
      if (res.status === 503) expect(res.headers.get('retry-after')).toBeTruthy();
      return res.status === 200 && res.body.value ? res : undefined;
    },
    'a QR over HTTP',
    30_000,
    500,
  );
  expect(r.body.mimetype).toBe('image/png');
  return decodePng(r.body.value);
}

beforeAll(async () => {
  execFileSync(
    'npx',
    ['tsc', '-b', 'services/token', 'services/gateway', 'services/connection', 'services/webhook-delivery'],
    {
      cwd: repo,
      stdio: 'inherit',
      timeout: 240_000,
    },
  );
  env = await createTestEnv('conn_http');
  emulator = await startEmulator();
  broker = await connectBroker({ url: env.rabbitmqUrl, service: 'webhook-delivery', namespace: env.namespace, logger });
  await broker.subscribe('http-test', [on(WhatsAppEvent, async (p) => void events.push(p))]);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hookBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  start('token', {});
  start('connection', {
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: '10000',
    PUBLIC_API_URL: base,
  });
  start('webhook-delivery', { PUBLIC_API_URL: base, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  start('gateway', { PORT: String(port), RATE_LIMIT_PER_MINUTE: '10000', REDIS_PREFIX: env.redisPrefix });
  await waitFor(async () => (await fetch(`${base}/api`).catch(() => undefined))?.ok, 'gateway up', 60_000, 250);
  for (const who of ['alice', 'bob'] as const) {
    const id = randomUUID();
    await waitFor(
      () => broker.request(UpsertUser, { id, email: `${who}@example.com` }).catch(() => undefined),
      'token service',
      30_000,
      250,
    );
    tokens[who] = (await broker.request(CreateToken, { userId: id, name: who })).token;
  }
  // The connection service answers once its command queue is bound (it may boot after the gateway).
  await waitFor(
    async () => (await http('GET', '/api/connections')).status === 200,
    'connection service up',
    60_000,
    250,
  );
  await waitFor(
    async () => (await http('GET', `/api/connections/${randomUUID()}/webhooks`)).status === 404,
    'webhook-delivery up',
    60_000,
    250,
  );
}, 300_000);

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
  await broker?.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r(null)));
  await emulator?.close();
  await env?.cleanup();
}, 60_000);

describe('connections over HTTP', () => {
  it('create → QR → scan → connected, me, chats, events with a media URL that downloads the same bytes, one absolute URL in webhook and chats API, restart, delete', async () => {
    const created = await http('POST', '/api/connections', 'alice', { name: 'Shop' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Shop', status: 'pending', engine: 'NOWEB' });
    const id: string = created.body.id;

    const shown = await qr(id);
    const { phone } = await emulator.scan(shown);
    await waitFor(
      async () => (await http('GET', `/api/connections/${id}`)).body.status === 'connected',
      'connected',
      30_000,
      250,
    );
    expect((await http('GET', `/api/connections/${id}/qr`)).body).toEqual({ connected: true });
    expect((await http('GET', `/api/connections/${id}/me`)).body).toEqual({ id: `${phone}@c.us` });
    expect((await http('GET', '/api/connections')).body.map((c: { id: string }) => c.id)).toContain(id);
    const hook = await http('POST', `/api/connections/${id}/webhooks`, 'alice', {
      url: `${receiverUrl}/hook`,
      events: ['message'],
    });
    expect(hook.status).toBe(201);

    await emulator.inbound({ to: phone, from: '15557654321', type: 'text', text: 'hello over http' });
    const bytes = Buffer.from('jpeg-ish bytes for the media test');
    const img = await emulator.inbound({
      to: phone,
      from: '15557654321',
      type: 'image',
      data: bytes,
      mimetype: 'image/jpeg',
      caption: 'photo',
    });
    const media = await waitFor(
      () => events.find((e) => e.connectionId === id && e.event === 'message' && (e.payload as any).hasMedia),
      'media event',
      30_000,
    );
    expect(media).toMatchObject({ session: created.body.sessionName, me: { id: `${phone}@c.us` } });
    const url: string = (media.payload as any).media.url;
    const file = (media.payload as any).media.file as string; // `<id>-<chat and sender ref>.<ext>`
    expect(file).toMatch(new RegExp(`^${img.id}-[0-9a-f]{24}\\.jpeg$`));
    expect(url).toBe(`/api/connections/${id}/media/${file}`);
    const served = await http('GET', url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^image\/jpeg/);
    expect(Buffer.compare(served.body, bytes)).toBe(0);
    expect((await http('GET', url, 'bob')).status).toBe(403);
    expect((await http('GET', url, null)).status).toBe(401);
    const text = events.find(
      (e) => e.connectionId === id && e.event === 'message' && (e.payload as any).body === 'hello over http',
    );
    expect(text?.payload).toMatchObject({ from: '15557654321@c.us', to: `${phone}@c.us`, fromMe: false });

    const chats = await http('GET', `/api/connections/${id}/chats`);
    expect(chats.body[0]).toMatchObject({ id: '15557654321@c.us' });

    // The chats API and the webhook show the same absolute media URL, and it serves the bytes.
    const publicUrl = `${base}${url}`;
    const delivered = await waitFor(
      () => hookBodies.find((b) => b.connectionId === id && b.payload?.hasMedia),
      'media webhook',
      30_000,
    );
    expect(delivered.payload.media).toEqual({ url: publicUrl, mimetype: 'image/jpeg', filename: null, error: null });
    const listed = await http('GET', `/api/connections/${id}/chats/15557654321@c.us/messages`);
    expect(listed.status).toBe(200);
    const listedMedia = listed.body.find((m: { hasMedia: boolean }) => m.hasMedia)?.media;
    expect(listedMedia).toEqual(delivered.payload.media);
    const fetched = await fetch(publicUrl, { headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(fetched.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await fetched.arrayBuffer()), bytes)).toBe(0);

    const restarted = await http('POST', `/api/connections/${id}/restart`);
    expect(restarted.status).toBe(201);
    const again = await qr(id);
    expect(again).not.toBe(shown);
    expect(emulator.accounts().find((a) => a.phone === phone)?.loggedOut).toBe(true);
    const { phone: phone2 } = await emulator.scan(again);
    await waitFor(
      async () => (await http('GET', `/api/connections/${id}`)).body.status === 'connected',
      'connected again',
      30_000,
      250,
    );

    const deleted = await http('DELETE', `/api/connections/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toBe('stopped');
    expect(emulator.accounts().find((a) => a.phone === phone2)?.loggedOut).toBe(true);
    expect((await http('GET', '/api/connections')).body.map((c: { id: string }) => c.id)).not.toContain(id);
  }, 180_000);

  it('answers bad ids, foreign connections, bad bodies and unknown routes with the error envelope', async () => {
    const { body: mine } = await http('POST', '/api/connections', 'alice');
    const bad = await http('GET', '/api/connections/not-a-uuid');
    expect(bad).toMatchObject({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'Invalid connection id' },
    });
    expect((await http('GET', `/api/connections/${randomUUID()}`)).body).toMatchObject({
      statusCode: 404,
      message: 'Connection not found',
    });
    expect((await http('GET', `/api/connections/${mine.id}`, 'bob')).body).toMatchObject({
      statusCode: 403,
      message: 'You do not own this connection',
    });
    expect((await http('PATCH', `/api/connections/${mine.id}`, 'alice', { name: 5 })).body).toMatchObject({
      statusCode: 400,
      message: 'name must be a string',
    });
    expect((await http('GET', `/api/connections/${mine.id}/nope`)).status).toBe(404);
    expect((await http('GET', `/api/connections/${mine.id}/media/..%2Fetc.jpeg`)).status).toBe(404);
    expect((await http('GET', '/api/connections', null)).status).toBe(401);
  }, 60_000);
});
