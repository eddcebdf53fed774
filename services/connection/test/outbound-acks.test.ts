/**
 * What follows a send: the contact's receipts become published `message.ack` events (delivered → read →
 * played), typing states and read receipts reach the contact, and the answers when the session cannot send.
 * The emulator sends a delivery receipt by itself ~20 ms after each message (as a phone does), which Baileys
 * may fold into the sent message's own upsert.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { waitFor } from './support/emulated.js';
import {
  failure,
  jidOf,
  linkConnection,
  markRead,
  newMessageId,
  presence,
  send,
  startHarness,
  unlinkedConnection,
  type OutboundHarness,
} from './support/outbound-harness.js';

const CONTACT = '4915700002001';
let h: OutboundHarness;
let id: string;
let phone: string;

beforeAll(async () => {
  h = await startHarness('outbound_acks', { emulator: { autoReceipt: 'delivered' }, subscribe: true });
  ({ id, phone } = await linkConnection(h));
}, 90_000);

afterAll(async () => {
  await h?.close();
});

interface AckPayload {
  id: string;
  from: string;
  to: string;
  fromMe: boolean;
  ack: number;
  ackName: string;
}

const acksOf = (messageId: string): AckPayload[] =>
  h.events
    .filter((e) => e.event === 'message.ack' && e.connectionId === id)
    .map((e) => e.payload as AckPayload)
    .filter((p) => p.id.endsWith(`_${messageId}`));

describe('receipts of our sends become message.ack events', () => {
  it('delivered (the automatic receipt), then read, then played: each published once, in that order', async () => {
    const messageId = newMessageId();
    await send(h, { connectionId: id, chatId: jidOf(CONTACT), messageId, content: { type: 'text', text: 'ack me' } });
    await waitFor(() => acksOf(messageId).some((a) => a.ack === 2), 'delivered ack');
    h.emulator.receipt({ phone, messageId, status: 'read' });
    await waitFor(() => acksOf(messageId).some((a) => a.ack === 3), 'read ack');
    h.emulator.receipt({ phone, messageId, status: 'played' });
    await waitFor(() => acksOf(messageId).some((a) => a.ack === 4), 'played ack');
    const acks = acksOf(messageId);
    expect(acks.map((a) => [a.ack, a.ackName])).toEqual([
      [2, 'DEVICE'],
      [3, 'READ'],
      [4, 'PLAYED'],
    ]);
    for (const ack of acks) {
      expect(ack).toMatchObject({
        id: `true_${CONTACT}@c.us_${messageId}`,
        from: `${CONTACT}@c.us`,
        to: `${CONTACT}@c.us`,
        fromMe: true,
      });
    }
  });

  it('every one of 10 quick sends gets its delivered ack (none lost to Baileys folding it into the upsert)', async () => {
    const ids = Array.from({ length: 10 }, () => newMessageId());
    await Promise.all(
      ids.map((messageId, i) =>
        send(h, { connectionId: id, chatId: jidOf(CONTACT), messageId, content: { type: 'text', text: `q${i}` } }),
      ),
    );
    await waitFor(() => ids.every((m) => acksOf(m).some((a) => a.ack === 2)), 'ten delivered acks');
    for (const m of ids) expect(acksOf(m).filter((a) => a.ack === 2)).toHaveLength(1);
  });
});

describe('presence and read receipts', () => {
  it('typing and paused reach the contact in order, before the message they precede', async () => {
    const chatId = jidOf(CONTACT);
    const since = h.emulator.signals(phone).length;
    expect(await presence(h, { connectionId: id, chatId, presence: 'composing' })).toEqual({ success: true });
    expect(await presence(h, { connectionId: id, chatId, presence: 'paused' })).toEqual({ success: true });
    const messageId = newMessageId();
    await send(h, { connectionId: id, chatId, messageId, content: { type: 'text', text: 'typed' } });
    const states = await waitFor(() => {
      const s = h.emulator
        .signals(phone)
        .slice(since)
        .flatMap((x) => (x.kind === 'chatstate' ? [`${x.to}:${x.state}`] : []));
      return s.length >= 2 && s;
    }, 'chat states');
    expect(states).toEqual([`${CONTACT}:composing`, `${CONTACT}:paused`]);
    expect(h.emulator.outbound(phone).some((r) => r.id === messageId)).toBe(true);
  });

  it("mark-read sends read receipts for the chat's unread messages, then has nothing left to read", async () => {
    const reader = '4915700002002';
    const inbound = [];
    for (const text of ['one', 'two', 'three']) {
      inbound.push((await h.emulator.inbound({ to: phone, from: reader, type: 'text', text })).id);
    }
    const chatId = jidOf(reader);
    await waitFor(async () => {
      const [row] = await h.database.sql.query<{ unread_count: number }>(
        'SELECT unread_count FROM connection.chats WHERE connection_id = $1 AND chat_id = $2',
        [id, `${reader}@c.us`],
      );
      return row?.unread_count === 3;
    }, 'three unread');
    expect(await markRead(h, { connectionId: id, chatId })).toEqual({ success: true, read: 3 });
    const read = await waitFor(
      () => h.emulator.signals(phone).find((s) => s.kind === 'read' && s.to === reader),
      'read receipt',
    );
    expect(read.kind === 'read' && [...read.ids].sort()).toEqual([...inbound].sort());
    expect(await markRead(h, { connectionId: id, chatId })).toEqual({ success: true, read: 0 });

    // explicit messages: receipts for exactly those (our own are skipped)
    const { id: later } = await h.emulator.inbound({ to: phone, from: reader, type: 'text', text: 'four' });
    expect(
      await markRead(h, {
        connectionId: id,
        chatId,
        messages: [
          { chatId, id: later, fromMe: false },
          { chatId, id: 'ABCDEF0123456789', fromMe: true },
        ],
      }),
    ).toEqual({ success: true, read: 1 });
    await waitFor(
      () => h.emulator.signals(phone).some((s) => s.kind === 'read' && s.ids.includes(later)),
      'explicit read receipt',
    );
  });
});

describe('when the session cannot send', () => {
  it('409 while the connection is not linked (send, presence, mark-read)', async () => {
    const unlinked = await unlinkedConnection(h);
    const chatId = jidOf(CONTACT);
    const errors = await Promise.all([
      failure(send(h, { connectionId: unlinked, chatId, content: { type: 'text', text: 'x' } })),
      failure(presence(h, { connectionId: unlinked, chatId, presence: 'composing' })),
      failure(markRead(h, { connectionId: unlinked, chatId })),
    ]);
    for (const err of errors) {
      expect([err.statusCode, err.message]).toEqual([409, 'Connection is not linked: scan the QR code first']);
    }
  });

  it('503 at once when no replica holds the session (unroutable)', async () => {
    const started = Date.now();
    const err = await failure(
      send(h, { connectionId: randomUUID(), chatId: jidOf(CONTACT), content: { type: 'text', text: 'x' } }),
    );
    expect(err.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000); // not the 60 s request timeout
  });
});
