/**
 * Sends whose outcome is unknown → 504, and what a retry with the same Idempotency-Key does.
 *
 * The hung owner is the real connection service, paused (SIGSTOP) while it holds the session: its queue stays
 * bound, so the send reaches it and nobody answers. Two cases the emulator cannot produce deterministically use
 * a test-local responder bound on the sessions exchange for the connection (beside the paused owner): an owner
 * that sent the message but whose answer was lost (it then answers the retry `duplicate: true`), and an owner
 * that answers 504 itself (its socket closed after the message was written).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectBroker, handle, type Broker, type RoutedServer } from '@wahooks/broker';
import { AppError, SessionSend } from '@wahooks/contracts';
import { chatOf, logger, startStack, waitFor, type Stack, type User } from './support/stack.js';

const SEND_TIMEOUT_MS = 3000;
let s: Stack;
let alice: User;
let a: { id: string; phone: string };

beforeAll(async () => {
  s = await startStack('msg_faults', {
    emulator: { autoReceipt: 'none' },
    messaging: { MESSAGING_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS) },
    connection: { SESSION_LEASE_MS: '60000' }, // a paused owner keeps its lease through the test
  });
  alice = await s.user();
  a = await s.link(alice);
  // A first send: the service's connection projection now says "linked" (no connection-service call needed).
  const r = await post({ chatId: chatOf('4915700007000'), text: 'warm up', skipPresence: true });
  expect(r.status).toBe(201);
}, 300_000);

afterAll(async () => {
  resume();
  await s?.close();
}, 60_000);

const post = (body: unknown, headers?: Record<string, string>) =>
  s.http('POST', `/api/connections/${a.id}/send`, alice, body, headers);
const bareId = (id: string) => id.slice(id.lastIndexOf('_') + 1);
const idIn = (message: string) => /message (true_\S+_[0-9A-F]+)\)/.exec(message)?.[1];
let paused = false;
const pause = () => {
  s.connection.kill('SIGSTOP');
  paused = true;
};
function resume() {
  if (paused) s.connection.kill('SIGCONT');
  paused = false;
}
const onPhone = (id: string) => s.emulator.outbound(a.phone).filter((r) => r.id === id);

describe('a hung owner', () => {
  it('→ 504 saying the outcome is unknown; the retry with the same key sends it exactly once', async () => {
    const key = { 'idempotency-key': randomUUID() };
    const body = { chatId: chatOf('4915700007001'), text: 'maybe sent', skipPresence: true };
    pause();
    const started = Date.now();
    const first = await post(body, key);
    expect(first.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SEND_TIMEOUT_MS - 100);
    expect(first.body.message).toMatch(
      /^The outcome of this send is unknown: the session owner did not answer within 3 s/,
    );
    expect(first.body.message).toMatch(/Retry with the same Idempotency-Key/);
    const id = idIn(first.body.message)!;
    expect(id).toMatch(/^true_4915700007001@c\.us_3EB0/);
    const status = await s.http('GET', `/api/connections/${a.id}/messages/${id}`, alice);
    expect(status.body).toMatchObject({ status: 'pending', error: expect.stringMatching(/^outcome unknown/) });
    resume(); // the owner finds the request past its deadline and leaves it

    const retry = await post(body, key);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(id); // the same WhatsApp id as the first try
    await waitFor(() => onPhone(bareId(id)).length === 1, 'the message on the phone');
    const again = await post(body, key);
    expect(again.body).toEqual(retry.body);
    expect(onPhone(bareId(id))).toHaveLength(1);
  }, 60_000);

  it('without a key the 504 says how to check before sending again', async () => {
    pause();
    const r = await post({ chatId: chatOf('4915700007002'), text: 'no key', skipPresence: true });
    resume();
    expect(r.status).toBe(504);
    expect(r.body.message).toMatch(
      /Check GET \/api\/connections\/[0-9a-f-]+\/messages\/true_\S+ before sending it again/,
    );
  }, 30_000);
});

describe('answers the emulator cannot time (test-local responder on the sessions exchange)', () => {
  let responder: Broker;
  let routes: RoutedServer;
  const seen: string[] = [];
  let behaviour: 'lose-first' | 'answer-504' = 'lose-first';

  beforeAll(async () => {
    responder = await connectBroker({
      url: s.env.rabbitmqUrl,
      service: 'connection',
      namespace: s.env.namespace,
      logger,
    });
    routes = await responder.serveRouted([
      handle(SessionSend, async (req) => {
        seen.push(req.messageId);
        const earlier = seen.filter((m) => m === req.messageId).length > 1;
        if (behaviour === 'answer-504' && !earlier) throw new AppError(504, 'Send outcome unknown: the socket closed');
        if (!earlier) await new Promise((r) => setTimeout(r, SEND_TIMEOUT_MS + 2000)); // sent, answer lost
        return {
          messageId: req.messageId,
          chatId: req.chatId,
          timestamp: Math.floor(Date.now() / 1000),
          duplicate: earlier,
        };
      }),
    ]);
  });

  afterAll(async () => {
    await routes?.unbind(a.id);
    await responder?.close();
  });

  it.each(['lose-first', 'answer-504'] as const)(
    '%s: 504, then the retry re-sends the same id and takes the owner\'s "already sent" as the answer',
    async (mode) => {
      behaviour = mode;
      seen.length = 0;
      pause(); // the real owner stays silent; the responder answers instead
      await routes.bind(a.id);
      const key = { 'idempotency-key': randomUUID() };
      const body = { chatId: chatOf('4915700007003'), text: `answer ${mode}`, skipPresence: true };
      const first = await post(body, key);
      expect(first.status).toBe(504);
      const retry = await post(body, key);
      await routes.unbind(a.id);
      expect(retry.status).toBe(201);
      expect(seen).toHaveLength(2);
      expect(seen[1]).toBe(seen[0]);
      expect(retry.body.id).toBe(`true_4915700007003@c.us_${seen[0]}`);
      // The paused owner got both requests too; resumed after their deadlines, it sends neither.
      await new Promise((r) => setTimeout(r, SEND_TIMEOUT_MS));
      resume();
      const probe = await post({ chatId: chatOf('4915700007003'), text: 'after', skipPresence: true });
      expect(probe.status).toBe(201);
      expect(onPhone(seen[0]!)).toHaveLength(0);
    },
    60_000,
  );
});
