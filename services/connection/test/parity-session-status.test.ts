/**
 * session.status as WAHA sends it, from a WhatsAppSession on the emulator: STARTING when a session that needs
 * linking starts (also when its row already says pending, as the session manager starts it), STOPPED when the
 * connection is deleted (logout), and a pairing code that was never typed does not break the next registration
 * socket (Baileys writes creds.me when a code is requested; the next socket must show a QR, not try to log in).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import type { Sql } from '@wahooks/db';
import { setupBaileysRuntime } from '../src/sessions/baileys-runtime.js';
import { allSessions, insertConnection, newSession, outboxEvents, statusOf, waitFor } from './support/emulated.js';
import { openConnectionDatabase, type ConnectionDatabase } from './support/database.js';

let env: TestEnv;
let database: ConnectionDatabase;
let sql: Sql;
let emulator: Emulator;

beforeAll(async () => {
  env = await createTestEnv('conn_parity_status');
  database = await openConnectionDatabase(env.databaseUrl);
  sql = database.sql;
  // short QR refs: an unpaired registration socket is dropped by the server after ~3 s
  emulator = await startEmulator({ qr: { firstRefMs: 2000, nextRefMs: 1000, maxRefs: 2 } });
  setupBaileysRuntime({ serverRootKey: emulator.rootPublicKey });
}, 30_000);

afterAll(async () => {
  await Promise.all(allSessions.map((s) => s.stop()));
  await emulator?.close();
  await database?.close();
  await env?.cleanup();
});

const statuses = async (connectionId: string) =>
  (await outboxEvents(sql, connectionId)).filter((e) => e.event === 'session.status').map((e) => e.payload.status);

describe('session.status', () => {
  it('STARTING when a pending connection starts, an unused pairing code does not block the next QR, STOPPED on logout', async () => {
    const conn = await insertConnection(sql);
    const { session, closes } = newSession(sql, emulator, conn, 1);
    await session.start('pending'); // as the session manager does, from the row
    const firstQr = await waitFor(() => session.qr, 'a QR');
    expect(await statuses(conn.id)).toEqual(['STARTING', 'SCAN_QR_CODE']);

    // a code is asked for and never typed: the server drops the unpaired socket, and the next one registers again
    const code = await session.socket!.requestPairingCode('4917612345699');
    expect(code).toMatch(/^[0-9A-Z]{8}$/);
    await waitFor(() => closes.length > 0, 'the unpaired socket dropped', 20_000);
    const nextQr = await waitFor(() => session.qr !== firstQr && session.qr, 'a new QR on a new socket', 20_000);
    expect((await statusOf(sql, conn.id)).status).toBe('scan_qr');
    const { phone } = await emulator.scan(nextQr);
    await waitFor(async () => (await statusOf(sql, conn.id)).status === 'working', 'working');
    expect(session.me()).toEqual({ id: `${phone}@c.us` });

    await session.logout();
    const events = (await outboxEvents(sql, conn.id)).filter((e) => e.event === 'session.status');
    expect(events.map((e) => e.payload.status)).toEqual(['STARTING', 'SCAN_QR_CODE', 'WORKING', 'STOPPED']);
    expect(events.at(-1)!.payload.statuses.map((s: { status: string }) => s.status)).toEqual([
      'SCAN_QR_CODE',
      'WORKING',
      'STOPPED',
    ]);
    expect((events.at(-1) as unknown as { me: unknown }).me).toEqual({ id: `${phone}@c.us` });
  }, 90_000);
});
