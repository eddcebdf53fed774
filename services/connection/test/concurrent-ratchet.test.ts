/**
 * Sends to contacts while the same contacts keep writing: both directions advance one Signal session per contact,
 * so every send must reach its contact decryptable and every inbound message must decrypt here (none becomes
 * message.waiting). Before the session's key transactions were serialised (sessions/baileys-socket.ts), an
 * overlapping send and decrypt lost one of the two ratchet steps and each contact had about a two-in-three
 * chance of every later message failing; four contacts make that near certain.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { outboxEvents, waitFor } from './support/emulated.js';
import {
  jidOf,
  linkConnection,
  newMessageId,
  send,
  startHarness,
  type OutboundHarness,
} from './support/outbound-harness.js';

const CONTACTS = ['4915700002001', '4915700002002', '4915700002003', '4915700002004'];
const ROUNDS = 30; // per contact, all at once
let h: OutboundHarness;
let id: string;
let phone: string;

beforeAll(async () => {
  // No retry receipts: a lost ratchet step must show as an unreadable record, not be healed by a resend.
  h = await startHarness('concurrent_ratchet', { emulator: { autoReceipt: 'none', retryReceipts: 0 } });
  ({ id, phone } = await linkConnection(h));
}, 90_000);

afterAll(async () => {
  await h?.close();
});

describe('one Signal session per contact, both directions at once', () => {
  it('every send decrypts at the contact and every inbound message decrypts here', async () => {
    const sent: string[] = [];
    const received: string[] = [];
    await Promise.all(
      CONTACTS.flatMap((contact) =>
        Array.from({ length: ROUNDS }, async (_, i) => {
          const messageId = newMessageId();
          sent.push(messageId);
          const [, inbound] = await Promise.all([
            send(h, {
              connectionId: id,
              chatId: jidOf(contact),
              messageId,
              content: { type: 'text', text: `out ${i}` },
            }),
            h.emulator.inbound({ to: phone, from: contact, type: 'text', text: `in ${i}` }),
          ]);
          received.push(inbound.id);
        }),
      ),
    );
    const records = await waitFor(() => {
      const out = h.emulator.outbound(phone).filter((r) => sent.includes(r.id));
      return out.length === sent.length ? out : undefined;
    }, 'every send recorded');
    const events = await waitFor(async () => {
      const evs = (await outboxEvents(h.database.sql, id)).filter(
        (e) =>
          (e.event === 'message' || e.event === 'message.waiting') &&
          received.includes(e.payload?.id?.split('_').pop()),
      );
      return evs.length >= received.length ? evs : undefined;
    }, 'an event for every inbound message');
    expect(records.filter((r) => r.type === 'undecryptable').map((r) => r.id)).toEqual([]);
    expect(events.filter((e) => e.event === 'message.waiting').map((e) => e.payload.id)).toEqual([]);
    expect(new Set(events.map((e) => e.payload.id.split('_').pop())).size).toBe(received.length);
  }, 120_000);
});
