/**
 * After the API took a send, end to end: the order per chat (also across presence waits and two messaging
 * replicas), presence waits holding no consumer slot (one connection's backlog does not delay another's send),
 * and the message status following WhatsApp receipts (`message.ack`), kept across a restart of this service.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { chatOf, startStack, waitFor, type Stack, type User } from './support/stack.js';

let s: Stack;
let db: pg.Client;
let alice: User;
let bob: User;
let a: { id: string; phone: string };
let b: { id: string; phone: string };

beforeAll(async () => {
  s = await startStack('msg_delivery', { emulator: { autoReceipt: 'none' } });
  db = new pg.Client({ connectionString: s.env.databaseUrl });
  await db.connect();
  [alice, bob] = await Promise.all([s.user(), s.user()]);
  a = await s.link(alice);
  b = await s.link(bob);
}, 300_000);

afterAll(async () => {
  await db?.end();
  await s?.close();
}, 60_000);

const post = (who: User, conn: string, action: string, body: unknown) =>
  s.http('POST', `/api/connections/${conn}/${action}`, who, body);
const bareId = (id: string) => id.slice(id.lastIndexOf('_') + 1);
const textsTo = (phone: string, contact: string) =>
  s.emulator
    .outbound(phone)
    .filter((r) => r.to === contact)
    .map((r) => r.text);

/** Messages of one chat this service has taken (recorded with their place in the chat). */
async function accepted(connectionId: string, contact: string): Promise<number> {
  const { rows } = await db.query(
    'SELECT count(*)::int AS n FROM messaging.messages WHERE connection_id = $1 AND chat_id = $2',
    [connectionId, `${contact}@s.whatsapp.net`],
  );
  return rows[0].n as number;
}

describe('order per chat', () => {
  it('sends go out in the order they were accepted, across presence waits and two replicas', async () => {
    await s.startMessaging(); // a second replica on the same command queue
    const contact = '4915700004001';
    const pending: Promise<{ status: number }>[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      const text = `#${i}`;
      expected.push(text);
      // Presence on the even ones (a wait of 0.1–0.8 s), none on the odd ones: an odd one must still wait for
      // the even one before it.
      pending.push(post(alice, a.id, 'send', { chatId: chatOf(contact), text, skipPresence: i % 2 === 1 }));
      await waitFor(async () => (await accepted(a.id, contact)) === i + 1, `send ${i} accepted`, 10_000, 10);
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.status)).toEqual(expected.map(() => 201));
    expect(textsTo(a.phone, contact)).toEqual(expected);
    await s.messaging.pop()!.stop();
  }, 60_000);
});

describe('presence waits hold no slot', () => {
  it('200 presence sends queued on one connection do not delay a send on another', async () => {
    // One replica with 4 slots and the original's full 1–8 s presence wait.
    await Promise.all(s.messaging.splice(0).map((m) => m.stop()));
    await s.startMessaging({ MESSAGING_PREFETCH: '4', MESSAGING_PRESENCE_SCALE: '1' });
    const chats = Array.from({ length: 10 }, (_, i) => `49157000050${String(i).padStart(2, '0')}`);
    const backlog = Array.from({ length: 200 }, (_, i) =>
      post(alice, a.id, 'send', { chatId: chatOf(chats[i % chats.length]!), text: `backlog ${i}` }),
    );
    await waitFor(
      async () => {
        const { rows } = await db.query('SELECT count(*)::int AS n FROM messaging.messages WHERE connection_id = $1', [
          a.id,
        ]);
        return rows[0].n >= 150; // most of them are sleeping on presence now
      },
      'the backlog accepted',
      30_000,
      50,
    );
    const started = Date.now();
    const other = await post(bob, b.id, 'send', {
      chatId: chatOf('4915700005999'),
      text: 'not stuck',
      skipPresence: true,
    });
    expect(other.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(3000);
    // Any other API call, too.
    const lookup = await s.http('GET', `/api/connections/${b.id}/messages/${other.body.id}`, bob);
    expect(lookup.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(4000);

    const done = await Promise.all(backlog);
    expect(done.filter((r) => r.status === 201)).toHaveLength(200);
    // Each chat got its 20, in the order this service accepted them (its place in the chat).
    for (const chat of chats) {
      const { rows } = await db.query(
        'SELECT message_id FROM messaging.messages WHERE connection_id = $1 AND chat_id = $2 ORDER BY chat_seq',
        [a.id, `${chat}@s.whatsapp.net`],
      );
      const onPhone = s.emulator
        .outbound(a.phone)
        .filter((r) => r.to === chat)
        .map((r) => r.id);
      expect(onPhone).toEqual(rows.map((r) => r.message_id));
      expect(onPhone).toHaveLength(20);
    }
  }, 120_000);
});

describe('status', () => {
  it('follows receipts (message.ack) and survives a restart of the service', async () => {
    await Promise.all(s.messaging.splice(0).map((m) => m.stop()));
    await s.startMessaging();
    const sent = await post(alice, a.id, 'send', {
      chatId: chatOf('4915700006001'),
      text: 'track me',
      skipPresence: true,
    });
    expect(sent.body.status).toBe('sent');
    const url = `/api/connections/${a.id}/messages/${sent.body.id}`;
    const view = async () => (await s.http('GET', url, alice)).body;
    expect(await view()).toMatchObject({
      id: sent.body.id,
      chatId: '4915700006001@c.us',
      type: 'text',
      status: 'sent',
      timestamp: sent.body.timestamp,
    });

    s.emulator.receipt({ phone: a.phone, messageId: bareId(sent.body.id), status: 'delivered' });
    await waitFor(async () => (await view()).status === 'delivered', 'delivered');

    // Down while the reader reads: the receipt waits in this service's durable queue.
    await Promise.all(s.messaging.splice(0).map((m) => m.stop()));
    s.emulator.receipt({ phone: a.phone, messageId: bareId(sent.body.id), status: 'read' });
    await waitFor(
      () => s.events.find((e) => e.event === 'message.ack' && (e.payload as { ack?: number }).ack === 3),
      'the read receipt published',
    );
    await s.startMessaging();
    await waitFor(async () => (await view()).status === 'read', 'read after the restart');
    const final = await view();
    expect(final.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'pending',
      'sent',
      'delivered',
      'read',
    ]);
    for (const h of final.statusHistory) expect(new Date(h.at).toISOString()).toBe(h.at);
    const byBare = await s.http('GET', `/api/connections/${a.id}/messages/${bareId(sent.body.id)}`, alice);
    expect(byBare.body).toEqual(final);
  }, 60_000);
});
