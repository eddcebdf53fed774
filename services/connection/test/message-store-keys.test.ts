/**
 * The message store is keyed by chat, sender and id (issue 10). A WhatsApp message id is the sender's choice: a
 * group member who sends a message with another member's id must not replace it. Here two group members send
 * images with the same id through the emulator; each media URL still serves its own sender's file, a retry or
 * a quote finds the right one, and a lookup that does not say whose message it wants takes none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sql } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { loadCreds } from '../src/auth/database-auth-state.js';
import { setupBaileysRuntime } from '../src/sessions/baileys-runtime.js';
import { findTarget } from '../src/sessions/outbound/message-lookup.js';
import { loadMessage } from '../src/sessions/session-store.js';
import type { WhatsAppSession } from '../src/sessions/whatsapp-session.js';
import { openConnectionDatabase, type ConnectionDatabase } from './support/database.js';
import { allSessions, insertConnection, newSession, outboxEvents, statusOf, waitFor } from './support/emulated.js';

const ALICE = '15557000001';
const MALLORY = '15557000002';
const SHARED_ID = '3EB0C0FFEE0000000001';
let env: TestEnv;
let database: ConnectionDatabase;
let sql: Sql;
let emulator: Emulator;
let session: WhatsAppSession;
let connectionId: string;
let phone: string;
let group: string;

beforeAll(async () => {
  env = await createTestEnv('conn_store_keys');
  database = await openConnectionDatabase(env.databaseUrl);
  sql = database.sql;
  emulator = await startEmulator();
  setupBaileysRuntime({ serverRootKey: emulator.rootPublicKey });
  const conn = await insertConnection(sql);
  connectionId = conn.id;
  session = newSession(sql, emulator, conn, 1).session;
  await session.start();
  const qr = await waitFor(() => session.qr, 'a QR');
  ({ phone } = await emulator.scan(qr));
  await waitFor(async () => (await statusOf(sql, conn.id)).status === 'working', 'working');
  await waitFor(async () => ((await loadCreds(sql, conn.id))?.accountSyncCounter ?? 0) > 0, 'initial sync');
  ({ jid: group } = emulator.createGroup({ creator: ALICE, participants: [phone, MALLORY], subject: 'Team' }));
}, 60_000);

afterAll(async () => {
  await Promise.all(allSessions.map((s) => s.stop()));
  await emulator?.close();
  await database?.close();
  await env?.cleanup();
});

/** The `message` events of the shared id, by sender (`participant`). */
const eventsOfSharedId = async () =>
  (await outboxEvents(sql, connectionId)).filter((e) => e.event === 'message' && e.payload.id.includes(SHARED_ID));

describe('two group members, one message id', () => {
  const aliceBytes = Buffer.from("alice's holiday picture");
  const malloryBytes = Buffer.from("mallory's replacement");

  it("the second sender's message does not replace the first: each media URL serves its own file", async () => {
    await emulator.inbound({ to: phone, from: ALICE, group, id: SHARED_ID, type: 'image', data: aliceBytes });
    await waitFor(async () => (await eventsOfSharedId()).length === 1, "alice's message");
    await emulator.inbound({ to: phone, from: MALLORY, group, id: SHARED_ID, type: 'image', data: malloryBytes });
    const events = await waitFor(async () => {
      const e = await eventsOfSharedId();
      return e.length === 2 && e;
    }, "mallory's message");
    const fileOf = (who: string) => events.find((e) => e.payload.participant === `${who}@c.us`)!.payload.media.file;
    const aliceFile: string = fileOf(ALICE);
    const malloryFile: string = fileOf(MALLORY);
    expect(aliceFile).not.toBe(malloryFile);
    expect((await session.downloadMedia(aliceFile))?.data).toEqual(aliceBytes);
    expect((await session.downloadMedia(malloryFile))?.data).toEqual(malloryBytes);
    // a name from before (just the id) is ambiguous now: it serves nothing rather than either file
    expect(await session.downloadMedia(`${SHARED_ID}.jpeg`)).toBeUndefined();
  }, 30_000);

  it('lookups by key (retries, quotes) find the sender asked for, and never guess between senders', async () => {
    const alice = await loadMessage(sql, connectionId, {
      remoteJid: group,
      id: SHARED_ID,
      fromMe: false,
      participant: `${ALICE}@s.whatsapp.net`,
    });
    expect(alice?.key.participant).toBe(`${ALICE}@s.whatsapp.net`);
    const quoted = await findTarget(sql, connectionId, {
      chatId: group,
      id: SHARED_ID,
      fromMe: false,
      participant: `${MALLORY}@c.us`,
    });
    expect(quoted?.key.participant).toBe(`${MALLORY}@s.whatsapp.net`);
    expect(await findTarget(sql, connectionId, { chatId: group, id: SHARED_ID, fromMe: false })).toBeUndefined();
    const rows = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM connection.messages WHERE connection_id = $1 AND key_id = $2',
      [connectionId, SHARED_ID],
    );
    expect(rows[0]!.n).toBe(2);
  });
});
