/**
 * A contact that cannot read a message asks for it again (a retry receipt, as a WhatsApp phone does), and the
 * session sends it again on a fresh Signal session, taking its content from the connection's stored messages
 * (getMessage): the contact reads it with the same id, and what follows reads first time. The contact's sessions
 * are dropped in the emulator (`forgetSession`), the way a phone reinstall or a sender on an older ratchet copy
 * leaves them. With retry receipts off in the emulator the same message stays unreadable: the healing is the
 * retry, nothing else. The other direction too: a contact message the session cannot decrypt (the emulator
 * damages its first copy) is asked for again by Baileys' retry receipt and arrives as `message` after the
 * `message.waiting` placeholder; without the contact's resend it stays `message.waiting`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { outboxEvents, waitFor } from './support/emulated.js';
import { jidOf, linkConnection, send, startHarness, type OutboundHarness } from './support/outbound-harness.js';

const CONTACT = '4915700003001';

/** The events the service wrote for inbound message `messageId` of connection `id`, in order. */
async function eventsOf(h: OutboundHarness, id: string, messageId: string): Promise<string[]> {
  return (await outboxEvents(h.database.sql, id))
    .filter((e) => ['message', 'message.waiting'].includes(e.event) && e.payload?.id?.endsWith(`_${messageId}`))
    .map((e) => e.event);
}

/** A contact text whose first copy arrives undecryptable (emulator `damaged`); resolves with its id. */
async function sendDamaged(h: OutboundHarness, phone: string): Promise<string> {
  const { id } = await h.emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'damaged', damaged: true });
  return id;
}

/** Links a fresh connection whose session has taken a first message from the contact (the session is up). */
async function linkedWithContact(h: OutboundHarness): Promise<{ id: string; phone: string }> {
  const linked = await linkConnection(h);
  const { id: first } = await h.emulator.inbound({ to: linked.phone, from: CONTACT, type: 'text', text: 'hello' });
  await waitFor(async () => (await eventsOf(h, linked.id, first)).includes('message'), 'the first message', 30_000);
  return linked;
}

/** Links a fresh connection, sends once (a session now exists on both sides), then the contact forgets it. */
async function linkedWithForgottenSession(h: OutboundHarness): Promise<{ id: string; phone: string }> {
  const linked = await linkConnection(h);
  const first = await send(h, {
    connectionId: linked.id,
    chatId: jidOf(CONTACT),
    content: { type: 'text', text: 'before' },
  });
  await waitFor(
    () => h.emulator.outbound(linked.phone).find((r) => r.id === first.messageId && r.type === 'text'),
    'read',
  );
  expect(h.emulator.forgetSession({ phone: linked.phone, contact: CONTACT }).dropped).toBeGreaterThan(0);
  return linked;
}

describe('retry receipts (emulator default: up to 5 per message)', () => {
  let h: OutboundHarness;
  beforeAll(async () => {
    h = await startHarness('retry_receipts', { emulator: { autoReceipt: 'none' } });
  }, 90_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a message the contact could not read is sent again, read under the same id, and later ones read at once', async () => {
    const { id, phone } = await linkedWithForgottenSession(h);
    const lost = await send(h, { connectionId: id, chatId: jidOf(CONTACT), content: { type: 'text', text: 'healed' } });
    const healed = await waitFor(
      () => h.emulator.outbound(phone).find((r) => r.id === lost.messageId && r.type === 'text'),
      'the resent copy read',
      30_000,
    );
    expect(healed).toMatchObject({ text: 'healed', decryptFailures: 1 });
    expect(healed.error).toBeUndefined();
    expect(h.emulator.outbound(phone).filter((r) => r.id === lost.messageId)).toHaveLength(1); // replaced, not added

    const after = await send(h, { connectionId: id, chatId: jidOf(CONTACT), content: { type: 'text', text: 'next' } });
    const next = await waitFor(() => h.emulator.outbound(phone).find((r) => r.id === after.messageId), 'the next one');
    expect(next).toMatchObject({ type: 'text', text: 'next' });
    expect(next.decryptFailures).toBeUndefined();
  }, 90_000);

  it('a contact message the session could not read is asked for again and arrives as a message', async () => {
    const { id, phone } = await linkedWithContact(h);
    const damaged = await sendDamaged(h, phone);
    const events = await waitFor(
      async () => {
        const evs = await eventsOf(h, id, damaged);
        return evs.includes('message') ? evs : undefined;
      },
      'the resent copy as a message',
      30_000,
    );
    expect(events).toEqual(['message.waiting', 'message']); // WAHA's order: the placeholder, then the message
    expect(h.emulator.statsSnapshot().inboundResends).toBeGreaterThanOrEqual(1);
  }, 90_000);
});

describe('without retry receipts (emulator retryReceipts: 0)', () => {
  let h: OutboundHarness;
  beforeAll(async () => {
    h = await startHarness('retry_receipts_off', { emulator: { autoReceipt: 'none', retryReceipts: 0 } });
  }, 90_000);
  afterAll(async () => {
    await h?.close();
  });

  it('the same message stays unreadable', async () => {
    const { id, phone } = await linkedWithForgottenSession(h);
    const lost = await send(h, { connectionId: id, chatId: jidOf(CONTACT), content: { type: 'text', text: 'lost' } });
    const record = await waitFor(() => h.emulator.outbound(phone).find((r) => r.id === lost.messageId), 'recorded');
    await new Promise((r) => setTimeout(r, 3_000)); // time for a resend that must not come
    expect(h.emulator.outbound(phone).filter((r) => r.id === lost.messageId)).toEqual([
      expect.objectContaining({ type: 'undecryptable', decryptFailures: 1 }),
    ]);
    expect(record.error).toEqual(expect.any(String)); // libsignal's reason (the prekey or the session is gone)
  }, 90_000);

  it('a damaged contact message stays message.waiting', async () => {
    const { id, phone } = await linkedWithContact(h);
    const damaged = await sendDamaged(h, phone);
    await waitFor(async () => (await eventsOf(h, id, damaged)).length > 0, 'an event for it', 30_000);
    await new Promise((r) => setTimeout(r, 3_000)); // time for a resend that must not come
    expect(await eventsOf(h, id, damaged)).toEqual(['message.waiting']);
  }, 90_000);
});
