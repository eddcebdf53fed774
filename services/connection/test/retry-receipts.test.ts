/**
 * A contact that cannot read a message asks for it again (a retry receipt, as a WhatsApp phone does), and the
 * session sends it again on a fresh Signal session, taking its content from the connection's stored messages
 * (getMessage): the contact reads it with the same id, and what follows reads first time. The contact's sessions
 * are dropped in the emulator (`forgetSession`), the way a phone reinstall or a sender on an older ratchet copy
 * leaves them. With retry receipts off in the emulator the same message stays unreadable: the healing is the
 * retry, nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from './support/emulated.js';
import { jidOf, linkConnection, send, startHarness, type OutboundHarness } from './support/outbound-harness.js';

const CONTACT = '4915700003001';

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
});
