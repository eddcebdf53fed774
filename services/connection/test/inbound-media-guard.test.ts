/**
 * Inbound media is the sender's to describe (issue 10): its URL, its size. A real session on the emulator gets
 * media messages whose URL the test chooses, and the connection service downloads only https from the allowed
 * media hosts (the emulator's here), follows no redirect, stops at the declared size or its kind's cap, gives
 * up after its deadline. A refused location shows in the message event (no URL, the reason); a failed download
 * is a 502 naming why; the session keeps running throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:https';
import { AppError } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { MEDIA_TLS_CERT_PEM, startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { loadCreds } from '../src/auth/database-auth-state.js';
import { setupBaileysRuntime } from '../src/sessions/baileys-runtime.js';
import type { WhatsAppSession } from '../src/sessions/whatsapp-session.js';
import { openConnectionDatabase, type ConnectionDatabase } from './support/database.js';
import { allSessions, insertConnection, newSession, outboxEvents, statusOf, waitFor } from './support/emulated.js';

const CONTACT = '15557654321';
let env: TestEnv;
let database: ConnectionDatabase;
let sql: Sql;
let emulator: Emulator;
let session: WhatsAppSession;
let connectionId: string;
let phone: string;

beforeAll(async () => {
  env = await createTestEnv('conn_media_guard');
  database = await openConnectionDatabase(env.databaseUrl);
  sql = database.sql;
  emulator = await startEmulator();
  setupBaileysRuntime({ serverRootKey: emulator.rootPublicKey });
  const conn = await insertConnection(sql);
  connectionId = conn.id;
  const obs = newSession(sql, emulator, conn, 1, {
    mediaDownload: {
      hosts: ['127.0.0.1'], // the emulator's media host (WA_MEDIA_HOSTS; WhatsApp's hosts in production)
      connectTimeoutMs: 2000,
      timeoutMs: 3000,
      agent: new Agent({ ca: MEDIA_TLS_CERT_PEM }),
    },
  });
  session = obs.session;
  await session.start();
  const qr = await waitFor(() => session.qr, 'a QR');
  ({ phone } = await emulator.scan(qr));
  await waitFor(async () => (await statusOf(sql, conn.id)).status === 'working', 'working');
  await waitFor(async () => ((await loadCreds(sql, conn.id))?.accountSyncCounter ?? 0) > 0, 'initial sync');
}, 60_000);

afterAll(async () => {
  await Promise.all(allSessions.map((s) => s.stop()));
  await emulator?.close();
  await database?.close();
  await env?.cleanup();
});

const bytes = Buffer.from('a small picture, as far as anyone can tell');

/** An inbound image with what the test says about its media; its `message` event's media. */
async function imageClaiming(claims: { url?: string; fileLength?: number }) {
  const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'image', data: bytes, ...claims });
  const event = await waitFor(
    async () => (await outboxEvents(sql, connectionId)).find((e) => e.event === 'message' && e.payload.id.endsWith(id)),
    `the message event of ${id}`,
  );
  return event.payload.media as { url: string | null; file?: string; error: string | null };
}

/** The media download's answer: the bytes, or the AppError's status and message. */
async function download(file: string | undefined) {
  try {
    const media = await session.downloadMedia(file!);
    return media ? { bytes: media.data } : { missing: true };
  } catch (err) {
    if (err instanceof AppError) return { status: err.statusCode, message: err.message };
    throw err;
  }
}

describe('inbound media the sender points elsewhere', () => {
  it('plain http: the event is intact, the media unavailable with the reason', async () => {
    const media = await imageClaiming({ url: `${emulator.baseUrl}/media/test/huge?bytes=10` });
    expect(media).toMatchObject({ url: null, error: 'media unavailable: the media location is not https' });
    expect(media.file).toBeUndefined();
  });

  it("a private address (not one of WhatsApp's media hosts): unavailable, nothing is fetched", async () => {
    for (const url of ['https://10.1.2.3/media/x', 'https://169.254.169.254/latest/meta-data/', 'https://evil.test/m'])
      expect(await imageClaiming({ url })).toMatchObject({
        url: null,
        error: "media unavailable: the media location is not one of WhatsApp's media hosts",
      });
  });

  it('a declared size over the cap of its kind: unavailable before any download', async () => {
    expect(await imageClaiming({ fileLength: 2 * 1024 * 1024 * 1024 })).toMatchObject({
      url: null,
      error: 'media unavailable: the media is larger than the 16 MB limit for its kind',
    });
  });

  it('a redirect, even to the real file on the allowed host, is not followed', async () => {
    const media = await imageClaiming({ url: `${emulator.mediaBaseUrl}/media/test/redirect?to={blob}` });
    expect(media.url).toMatch(/^\/api\/connections\//);
    expect(await download(media.file)).toEqual({
      status: 502,
      message: 'Media unavailable: the media host answered with a redirect (not followed)',
    });
  });

  it('an endless body stops at the declared size; a huge Content-Length is refused before reading', async () => {
    const endless = await imageClaiming({ url: `${emulator.mediaBaseUrl}/media/test/endless` });
    const before = process.memoryUsage().rss;
    expect(await download(endless.file)).toEqual({
      status: 502,
      message: 'Media unavailable: the media is larger than its message declared or its limit',
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024); // nothing like a stream's worth
    const huge = await imageClaiming({ url: `${emulator.mediaBaseUrl}/media/test/huge?bytes=500000000` });
    expect(await download(huge.file)).toEqual({
      status: 502,
      message: 'Media unavailable: the media is larger than its message declared or its limit',
    });
  });

  it('a host that never sends the body: given up after the deadline', async () => {
    const slow = await imageClaiming({ url: `${emulator.mediaBaseUrl}/media/test/slow`, fileLength: 1000 });
    const started = Date.now();
    expect(await download(slow.file)).toEqual({
      status: 502,
      message: 'Media unavailable: the media host did not answer in time',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the session kept running: an honest image still downloads, a text still arrives', async () => {
    const honest = await imageClaiming({});
    expect(honest.error).toBeNull();
    expect(await download(honest.file)).toEqual({ bytes });
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'still here' });
    await waitFor(
      async () =>
        (await outboxEvents(sql, connectionId)).some((e) => e.event === 'message' && e.payload.id.endsWith(id)),
      'the text after the hostile media',
    );
    expect((await statusOf(sql, connectionId)).status).toBe('working');
  });
});
