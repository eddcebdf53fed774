/**
 * Sends that WhatsApp does not answer: the socket stays open but nothing the session writes gets through (a
 * proxy holds it), so the send's queries hang. The owner answers within its deadline (SEND_TIMEOUT_MS here
 * 1.5 s): 504 for the send that had started (outcome unknown), 503 for the one queued behind it (never started).
 * Once the link flows again the started send completes, and a retry with its id is recognised as sent.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { waitFor } from './support/emulated.js';
import {
  failure,
  jidOf,
  linkConnection,
  newMessageId,
  send,
  startHarness,
  type OutboundHarness,
} from './support/outbound-harness.js';

let h: OutboundHarness;
let id: string;
let phone: string;

beforeAll(async () => {
  h = await startHarness('outbound_timeouts', {
    emulator: { autoReceipt: 'none' },
    env: { SEND_TIMEOUT_MS: '1500' },
    hold: true,
  });
  ({ id, phone } = await linkConnection(h));
}, 90_000);

afterAll(async () => {
  h?.link?.release();
  await h?.close();
});

it('504 for a started send WhatsApp does not answer, 503 for the one behind it; the retry finds the late send', async () => {
  const chatId = jidOf('4915700003001'); // a new contact: the send must ask the server for its devices first
  const started = {
    connectionId: id,
    chatId,
    messageId: newMessageId(),
    content: { type: 'text' as const, text: 'A' },
  };
  const behind = { connectionId: id, chatId, messageId: newMessageId(), content: { type: 'text' as const, text: 'B' } };
  h.link!.hold();
  const t0 = Date.now();
  const [a, b] = await Promise.all([failure(send(h, started)), failure(send(h, behind))]);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect([a.statusCode, a.message]).toEqual([504, expect.stringMatching(/^Send outcome unknown/)]);
  expect([b.statusCode, b.message]).toEqual([503, expect.stringMatching(/nothing was sent/)]);

  h.link!.release();
  // the started send goes through once its queries are answered; the refused one never does
  await waitFor(() => h.emulator.outbound(phone).find((r) => r.id === started.messageId), 'the late send');
  expect(await send(h, started)).toMatchObject({ messageId: started.messageId, duplicate: true });
  expect(h.emulator.outbound(phone).some((r) => r.id === behind.messageId)).toBe(false);
  expect(await send(h, behind)).toMatchObject({ duplicate: false });
  await waitFor(() => h.emulator.outbound(phone).find((r) => r.id === behind.messageId), 'the retried send');
  const order = h.emulator
    .outbound(phone)
    .filter((r) => r.to === '4915700003001')
    .map((r) => r.text);
  expect(order).toEqual(['A', 'B']);
}, 60_000);
