/**
 * The WAHA-parity events on the event stream: `session.status`, a group event (`group.v2.join`), `poll.vote` and
 * the label events reach the owner's `/api/ws` socket (opened before the connection existed), each as the same
 * event the webhook got (same id = `webhook-id`, same payload). The emulator plays WhatsApp and every other phone;
 * the real token, gateway, connection, messaging and webhook-delivery services run in this process. Neither the
 * stream nor the webhooks promise an order across events, so events are matched by name and id.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { admittedStream, type StreamClient } from '../../services/gateway/test/stream-support.js';
import { startParityStack, type ParityStack } from './support/parity-stack.js';

const ALICE = '4915100000071';
const BOB = '4915100000072';

let env: TestEnv;
let stack: ParityStack;
let socket: StreamClient;
let id: string;
let phone: string;

beforeAll(async () => {
  env = await createTestEnv('e2e_stream_parity');
  stack = await startParityStack(env, { messaging: true });
  socket = await admittedStream(stack.gateway, { token: stack.token });
  id = await stack.newConnection('stream-parity');
  phone = await stack.linkByQr(id);
}, 120_000);

afterAll(async () => {
  await socket?.close();
  await stack?.close();
  await env?.cleanup();
});

const c = (digits: string) => `${digits}@c.us`;

/** The first stream message of `event` for the connection that `matches`, once it arrived. */
function onSocket(event: string, matches: (payload: any) => boolean = () => true) {
  return stack.until(`${event} on the socket`, () =>
    socket.messages.find((m) => m.event === event && m.connectionId === id && matches(m.payload)),
  );
}

/** The webhook delivery of the same event id: the stream shows what the webhook got. */
async function sameAsWebhook(message: { id: string; event: string; payload: unknown }) {
  const hooked = await stack.until(`${message.event} at the webhook`, () =>
    stack.events(id, message.event).find((e) => e.id === message.id),
  );
  expect(message.payload).toEqual(hooked.payload);
}

describe('parity events on /api/ws', () => {
  it('session.status WORKING', async () => {
    const working = await onSocket('session.status', (p) => p.status === 'WORKING');
    expect(working).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
      event: 'session.status',
      connectionId: id,
      payload: { status: 'WORKING', statuses: expect.any(Array) },
      timestamp: expect.any(String),
    });
    await sameAsWebhook(working);
  });

  it('group.v2.join when the connection creates a group', async () => {
    const created = await stack.api('POST', `/api/connections/${id}/groups`, {
      subject: 'Stream team',
      participants: [ALICE, BOB],
    });
    expect(created.status).toBe(201);
    const join = await onSocket('group.v2.join', (p) => p.group?.id === created.body.id);
    expect(join.payload).toMatchObject({
      group: { id: created.body.id, subject: 'Stream team' },
      timestamp: expect.any(Number),
    });
    await sameAsWebhook(join);
  });

  it('poll.vote when a contact votes on a poll the connection sent', async () => {
    const sent = await stack.api('POST', `/api/connections/${id}/send-poll`, {
      chatId: c(BOB),
      name: 'Lunch?',
      options: ['Pizza', 'Sushi'],
      skipPresence: true,
    });
    expect(sent.status).toBe(201);
    const pollId = sent.body.id.split('_').pop();
    await stack.until('the poll at WhatsApp', () => stack.emulator.outbound(phone).find((r) => r.id === pollId));
    await stack.emulator.pollVote({ to: phone, from: BOB, pollId, options: ['Sushi'] });
    const vote = await onSocket('poll.vote', (p) => p.poll?.id === sent.body.id);
    expect(vote.payload).toMatchObject({
      vote: { from: c(BOB), selectedOptions: ['Sushi'] },
      poll: { id: sent.body.id, fromMe: true },
    });
    await sameAsWebhook(vote);
  });

  it('label.upsert and label.chat.added when the phone makes a label and puts it on a chat', async () => {
    const label = await stack.emulator.labelEdit({ phone, name: 'Lead', color: 2 });
    const upsert = await onSocket('label.upsert', (p) => p.id === label.id);
    expect(upsert.payload).toEqual({ id: label.id, name: 'Lead', color: 2, colorHex: '#ffd429' });
    await sameAsWebhook(upsert);

    await stack.emulator.labelChat({ phone, labelId: label.id, chat: BOB, labeled: true });
    const added = await onSocket('label.chat.added', (p) => p.labelId === label.id);
    expect(added.payload).toEqual({ labelId: label.id, chatId: c(BOB), label: upsert.payload });
    await sameAsWebhook(added);
  });
});
