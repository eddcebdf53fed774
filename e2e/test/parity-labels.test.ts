/**
 * WhatsApp Business labels end to end: the emulator's phone creates, edits and deletes labels and puts them on
 * chats; WhatsApp syncs each change to the linked device by app-state sync (a key share from the phone, a
 * `server_sync` notification, encrypted and MAC'd patches the real Baileys client fetches and verifies); the
 * connection service turns them into `label.upsert`, `label.deleted`, `label.chat.added` and
 * `label.chat.deleted`, which reach the webhook receiver with the documented payloads (docs/events.md), once each;
 * `GET …/labels` and `GET …/labels/:labelId/chats` list what the connection stored.
 * Deliveries are concurrent: each step waits for its own event before the next change.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startParityStack, type ParityStack } from './support/parity-stack.js';

const BOB = '4915100000061';
const ALICE = '4915100000062';

let env: TestEnv;
let stack: ParityStack;
let id: string; // a linked connection
let phone: string; // its number

beforeAll(async () => {
  env = await createTestEnv('e2e_parity_labels');
  stack = await startParityStack(env);
  id = await stack.newConnection('labels');
  phone = await stack.linkByQr(id);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.cleanup();
});

const c = (digits: string) => `${digits}@c.us`;

/** The `n`-th (1-based) event of that name, once it arrived. */
const nth = (event: string, n: number) =>
  stack.until(`${event} #${n}`, () => {
    const got = stack.events(id, event);
    return got.length >= n && got[n - 1];
  });

describe('label events', () => {
  it('label.upsert when the phone creates a label and again when it renames or recolours it', async () => {
    const label = await stack.emulator.labelEdit({ phone, name: 'New customer', color: 0 });
    const created = await nth('label.upsert', 1);
    expect(created.payload).toEqual({ id: label.id, name: 'New customer', color: 0, colorHex: '#ff9485' });
    expect(created).toMatchObject({ event: 'label.upsert', connectionId: id, session: expect.any(String) });

    await stack.emulator.labelEdit({ phone, id: label.id, name: 'Customer', color: 5 });
    const changed = await nth('label.upsert', 2);
    expect(changed.payload).toEqual({ id: label.id, name: 'Customer', color: 5, colorHex: '#55ccb3' });
  });

  it('label.chat.added / label.chat.deleted when the phone labels a chat or a group, with the label', async () => {
    const vip = await stack.emulator.labelEdit({ phone, name: 'VIP', color: 13 });
    await nth('label.upsert', 3);
    const group = stack.emulator.createGroup({ creator: ALICE, participants: [phone, BOB], subject: 'Shop' });

    await stack.emulator.labelChat({ phone, labelId: vip.id, chat: BOB, labeled: true });
    const added = await nth('label.chat.added', 1);
    expect(added.payload).toEqual({
      labelId: vip.id,
      chatId: c(BOB),
      label: { id: vip.id, name: 'VIP', color: 13, colorHex: '#f74848' },
    });
    await stack.emulator.labelChat({ phone, labelId: vip.id, chat: group.jid, labeled: true });
    const onGroup = await nth('label.chat.added', 2);
    expect(onGroup.payload).toMatchObject({ labelId: vip.id, chatId: group.jid, label: { name: 'VIP' } });

    await stack.emulator.labelChat({ phone, labelId: vip.id, chat: BOB, labeled: false });
    const removed = await nth('label.chat.deleted', 1);
    expect(removed.payload).toEqual({
      labelId: vip.id,
      chatId: c(BOB),
      label: { id: vip.id, name: 'VIP', color: 13, colorHex: '#f74848' },
    });
    // what the connection stored: GET …/labels and …/labels/:labelId/chats
    const labels = await stack.api('GET', `/api/connections/${id}/labels`);
    expect(labels.status).toBe(200);
    expect(labels.body).toEqual([
      { id: expect.any(String), name: 'Customer', color: 5, colorHex: '#55ccb3' },
      { id: vip.id, name: 'VIP', color: 13, colorHex: '#f74848' },
    ]);
    const chats = await stack.api('GET', `/api/connections/${id}/labels/${vip.id}/chats`);
    expect(chats.status).toBe(200);
    expect(chats.body).toEqual([{ id: group.jid }]); // Bob's chat lost the label again
    // a label on one message has no WAHA event
    await stack.emulator.labelChat({ phone, labelId: vip.id, chat: BOB, labeled: true, messageId: '3A00000001' });
  });

  it('label.deleted when the phone deletes a label; every change was delivered exactly once', async () => {
    const [first] = stack.emulator.labels(phone).labels;
    await stack.emulator.labelDelete({ phone, id: first!.id });
    const deleted = await nth('label.deleted', 1);
    expect(deleted.payload).toEqual({ id: first!.id, name: 'Customer', color: 5, colorHex: '#55ccb3' });

    // a marker change after all the others: once it is here, anything sent twice would be here too
    await stack.emulator.labelEdit({ phone, name: 'Marker', color: 1 });
    await nth('label.upsert', 4);
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.events(id, 'label.upsert').map((e) => e.payload.name)).toEqual([
      'New customer',
      'Customer',
      'VIP',
      'Marker',
    ]);
    expect(stack.events(id, 'label.chat.added')).toHaveLength(2);
    expect(stack.events(id, 'label.chat.deleted')).toHaveLength(1);
    expect(stack.events(id, 'label.deleted')).toHaveLength(1);

    const labels = await stack.api('GET', `/api/connections/${id}/labels`);
    expect(labels.body.map((l: { name: string }) => l.name)).toEqual(['VIP', 'Marker']); // the deleted one is gone
    const gone = await stack.api('GET', `/api/connections/${id}/labels/${first!.id}/chats`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Label not found' });
    const bad = await stack.api('GET', `/api/connections/${id}/labels/a%20b/chats`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/labelId must be/) });
    const badId = await stack.api('GET', '/api/connections/nope/labels');
    expect(badId.status).toBe(400);
    expect(badId.body).toMatchObject({ statusCode: 400, message: 'Invalid connection id' });
  });
});
