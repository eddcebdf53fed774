import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import {
  AppError,
  CreateConnection,
  DeleteConnection,
  GetConnection,
  GetConnectionMe,
  GetConnectionMedia,
  GetConnectionQr,
  GetOrCreateConnection,
  ListChatMessages,
  ListConnectionChats,
  ListConnections,
  ReadConnection,
  RestartConnection,
  UpdateConnection,
} from '@wahooks/contracts';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { askOwner } from '../src/commands/session-client.js';
import { ConnectionEnv } from '../src/config.js';
import { startConnectionService, type ConnectionService } from '../src/service.js';
import { logger, waitFor } from './support/emulated.js';

let env: TestEnv;
let emulator: Emulator;
let service: ConnectionService;
let client: Broker; // plays the gateway
const alice = randomUUID();
const bob = randomUUID();

beforeAll(async () => {
  env = await createTestEnv('conn_cmds');
  emulator = await startEmulator();
  const config = parseConfig(ConnectionEnv, {
    ...env.serviceEnv,
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: '10000', // jsQR decoding in this process stalls the event loop for a while
    PUBLIC_API_URL: 'https://api.example.test/',
  });
  service = await startConnectionService(config, { logger, qrWait: { attempts: 20, intervalMs: 250 } });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await service?.stop();
  await emulator?.close();
  await env?.cleanup();
});

const rejects = async (p: Promise<unknown>, status: number, message?: RegExp) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).statusCode).toBe(status);
  if (message) expect((err as AppError).message).toMatch(message);
};

/** Poll the QR the way clients do (every 250 ms) until a PNG is ready. */
async function qrPng(connectionId: string, userId = alice) {
  return waitFor(
    async () => {
      try {
        const qr = await client.request(GetConnectionQr, { userId, connectionId });
        return 'value' in qr ? qr : undefined;
      } catch (err) {
        if (err instanceof AppError && err.statusCode === 503) {
          expect(err.headers?.['Retry-After']).toBeDefined();
          return undefined;
        }
        throw err;
      }
    },
    'a QR PNG',
    20_000,
    250,
  );
}

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

function decodePng(base64: string): string {
  const png = PNG.sync.read(Buffer.from(base64, 'base64'));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) throw new Error('not a readable QR');
  return code.data;
}

describe('connection commands (one replica, emulator, real broker/Postgres/Redis)', () => {
  let id: string;
  let phone: string;

  it('creates a pending connection and lists it', async () => {
    const created = await client.request(CreateConnection, { userId: alice, name: 'Shop' });
    id = created.id;
    expect(created).toMatchObject({
      userId: alice,
      name: 'Shop',
      status: 'pending',
      engine: 'NOWEB',
      phoneNumber: null,
    });
    expect(created.sessionName).toMatch(/^u_[0-9a-f]{12}_s_[0-9a-f]{12}$/);
    expect((await client.request(ListConnections, { userId: alice })).map((c) => c.id)).toContain(id);
    expect(await client.request(ListConnections, { userId: bob })).toEqual([]);
    expect(await client.request(GetConnection, { connectionId: id })).toMatchObject({ id, userId: alice });
  });

  it('serves a real, scannable QR PNG, and links when the phone scans it', async () => {
    const qr = await qrPng(id);
    expect(qr.mimetype).toBe('image/png');
    expect(qr.value.startsWith('data:')).toBe(false);
    const shown = decodePng(qr.value);
    const owner = (await askOwner(client, id, 'qr')) as { raw: string };
    expect(shown).toBe(owner.raw); // the PNG encodes exactly the string Baileys shows
    ({ phone } = await emulator.scan(shown));
    await waitFor(
      async () => (await client.request(ReadConnection, { userId: alice, connectionId: id })).status === 'connected',
      'connected',
    );
    expect(await client.request(GetConnectionQr, { userId: alice, connectionId: id })).toEqual({ connected: true });
    expect(await client.request(GetConnectionMe, { userId: alice, connectionId: id })).toEqual({ id: `${phone}@c.us` });
    expect((await client.request(ReadConnection, { userId: alice, connectionId: id })).phoneNumber).toBe(phone);
  }, 60_000);

  it('keeps recent chats and messages, and serves inbound media through the owner', async () => {
    await emulator.inbound({ to: phone, from: '15557654321', type: 'text', text: 'hi there' });
    const bytes = Buffer.from('%PDF-1.4 pretend');
    const doc = await emulator.inbound({
      to: phone,
      from: '15557654321',
      type: 'document',
      data: bytes,
      fileName: 'a.pdf',
      mimetype: 'application/pdf',
    });
    const chats = await waitFor(async () => {
      const c = await client.request(ListConnectionChats, { userId: alice, connectionId: id });
      return c.length > 0 && c;
    }, 'chats');
    expect(chats[0]).toMatchObject({ id: '15557654321@c.us' });
    const messages = (await waitFor(async () => {
      const m = (await client.request(ListChatMessages, {
        userId: alice,
        connectionId: id,
        chatId: '15557654321@c.us',
      })) as { body: string | null; media: { url: string } | null }[];
      return m.length >= 2 && m;
    }, 'messages'))!;
    const media = messages.find((m) => m.media)!.media!;
    expect(media).toEqual({
      // absolute, under PUBLIC_API_URL; `file` is internal to events
      url: expect.stringMatching(
        new RegExp(`^https://api\\.example\\.test/api/connections/${id}/media/${doc.id}-[0-9a-f]{24}\\.pdf$`),
      ),
      mimetype: 'application/pdf',
      filename: 'a.pdf',
      error: null,
    });
    const file = await client.request(
      GetConnectionMedia,
      { userId: alice, connectionId: id, file: `${doc.id}.pdf` },
      { timeoutMs: 30_000 },
    );
    expect(file.mimetype).toBe('application/pdf');
    expect(Buffer.from(file.base64, 'base64').equals(bytes)).toBe(true);
    await rejects(client.request(GetConnectionMedia, { userId: alice, connectionId: id, file: '../x.pdf' }), 404);
    await rejects(
      client.request(GetConnectionMedia, { userId: alice, connectionId: id, file: 'NOPE.pdf' }, { timeoutMs: 30_000 }),
      404,
      /Media not found/,
    );
    await rejects(
      client.request(ListChatMessages, { userId: alice, connectionId: id, chatId: 'x; drop' }),
      400,
      /Invalid chat id/,
    );
  }, 60_000);

  it('validates ids and ownership: 400 malformed, 404 unknown, 403 foreign', async () => {
    await rejects(
      client.request(ReadConnection, { userId: alice, connectionId: 'not-a-uuid' }),
      400,
      /Invalid connection id/,
    );
    await rejects(
      client.request(ReadConnection, { userId: alice, connectionId: randomUUID() }),
      404,
      /Connection not found/,
    );
    await rejects(
      client.request(ReadConnection, { userId: bob, connectionId: id }),
      403,
      /You do not own this connection/,
    );
    await rejects(client.request(GetConnectionQr, { userId: bob, connectionId: id }), 403);
    await rejects(client.request(DeleteConnection, { userId: bob, connectionId: id }), 403);
    await rejects(
      client.request(UpdateConnection, { userId: alice, connectionId: id, name: 42 as never }),
      400,
      /name must be a string/,
    );
    await rejects(client.request(CreateConnection, { userId: alice, name: ['x'] as never }), 400);
  });

  it('renames (empty name becomes null)', async () => {
    expect((await client.request(UpdateConnection, { userId: alice, connectionId: id, name: 'New' })).name).toBe('New');
    expect((await client.request(UpdateConnection, { userId: alice, connectionId: id, name: '' })).name).toBeNull();
  });

  it('restart logs out and shows a new QR', async () => {
    const before = emulator.accounts().find((a) => a.phone === phone);
    expect(before?.loggedOut).toBe(false);
    await client.request(RestartConnection, { userId: alice, connectionId: id }, { timeoutMs: 20_000 });
    expect(emulator.accounts().find((a) => a.phone === phone)?.loggedOut).toBe(true);
    const qr = await qrPng(id);
    expect(decodePng(qr.value)).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    expect(await client.request(GetConnectionMe, { userId: alice, connectionId: id })).toBeNull();
    ({ phone } = await emulator.scan(decodePng(qr.value)));
    await waitFor(
      async () => (await client.request(ReadConnection, { userId: alice, connectionId: id })).status === 'connected',
      'connected again',
    );
  }, 60_000);

  it('get-or-create reuses an idle connection, or creates one, and returns its QR', async () => {
    const first = await client.request(GetOrCreateConnection, { userId: bob }, { timeoutMs: 20_000 });
    expect(first.status).toBe('scan_qr');
    expect(decodePng(first.qr!)).toMatch(/^https:\/\/wa\.me/);
    const again = await client.request(GetOrCreateConnection, { userId: bob }, { timeoutMs: 20_000 });
    expect(again.id).toBe(first.id);
  }, 60_000);

  it('delete logs the number out, stops the socket and is idempotent', async () => {
    const deleted = await client.request(DeleteConnection, { userId: alice, connectionId: id }, { timeoutMs: 20_000 });
    expect(deleted.status).toBe('stopped');
    expect(emulator.accounts().find((a) => a.phone === phone)?.loggedOut).toBe(true);
    await waitFor(() => !emulator.accounts().find((a) => a.phone === phone)?.connected, 'socket closed');
    expect((await client.request(DeleteConnection, { userId: alice, connectionId: id })).status).toBe('stopped');
    expect((await client.request(ListConnections, { userId: alice })).map((c) => c.id)).not.toContain(id);
    await waitFor(() => !service.sessions.held().includes(id), 'lease released', 10_000);
  }, 60_000);
});
