import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { proto } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { pairClient, waitFor, type TestClient } from './support/client.js';

const CONTACT = '4915700000003';
const CONTACT_JID = `${CONTACT}@s.whatsapp.net`;
const Status = proto.WebMessageInfo.Status;

describe('receipts and presence', () => {
  let emulator: Emulator;
  let client: TestClient;
  let phone: string;

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none' });
    trustServerRootKey(emulator.rootPublicKey);
    ({ client, phone } = await pairClient(emulator));
  });
  afterAll(async () => {
    client?.end();
    await emulator.close();
  });

  const sendText = async (text: string): Promise<string> => {
    const id = (await client.sock.sendMessage(CONTACT_JID, { text }))!.key.id!;
    await waitFor(() => emulator.outbound(phone).find((r) => r.id === id), 'captured');
    return id;
  };
  const statusesOf = (id: string): number[] => client.statusUpdates.filter((u) => u.id === id).map((u) => u.status);

  // (a receipt arriving before Baileys flushes its event buffer is folded into the sent message's own upsert)
  it('receipts on command become messages.update statuses (server ack, delivered, read, played)', async () => {
    const id = await sendText('receipt me');
    emulator.receipt({ phone, messageId: id, status: 'server' });
    await waitFor(() => statusesOf(id).includes(Status.SERVER_ACK), 'server ack');
    emulator.receipt({ phone, messageId: id, status: 'delivered' });
    await waitFor(() => statusesOf(id).includes(Status.DELIVERY_ACK), 'delivered');
    emulator.receipt({ phone, messageId: id, status: 'read' });
    await waitFor(() => statusesOf(id).includes(Status.READ), 'read');
    emulator.receipt({ phone, messageId: id, status: 'played' });
    await waitFor(() => statusesOf(id).includes(Status.PLAYED), 'played');
    expect(emulator.outbound(phone).find((r) => r.id === id)?.status).toBe('played');
  });

  it('rejects receipts for unknown messages or statuses', () => {
    expect(() => emulator.receipt({ phone, messageId: 'NOPE', status: 'read' })).toThrow(/no message with id NOPE/);
    expect(() => emulator.receipt({ phone, messageId: 'NOPE', status: 'seen' as never })).toThrow(
      /status must be one of/,
    );
  });

  it('automatic receipts (read) follow every captured message', async () => {
    const auto = await startEmulator({ autoReceipt: 'read' });
    try {
      trustServerRootKey(auto.rootPublicKey);
      const { client: c } = await pairClient(auto);
      const id = (await c.sock.sendMessage(CONTACT_JID, { text: 'auto' }))!.key.id!;
      await waitFor(() => c.statusUpdates.some((u) => u.id === id && u.status === Status.READ), 'auto read receipt');
      c.end();
    } finally {
      trustServerRootKey(emulator.rootPublicKey);
      await auto.close();
    }
  });

  it('presence and typing of a contact arrive as presence.update', async () => {
    await client.sock.presenceSubscribe(CONTACT_JID);
    emulator.presence({ to: phone, from: CONTACT, presence: 'available' });
    emulator.presence({ to: phone, from: CONTACT, presence: 'composing' });
    const seen = (presence: string) =>
      client.events.some(
        (e) =>
          e.name === 'presence.update' &&
          (e.data as { presences: Record<string, { lastKnownPresence: string }> }).presences[CONTACT_JID]
            ?.lastKnownPresence === presence,
      );
    await waitFor(() => seen('available'), 'available');
    await waitFor(() => seen('composing'), 'composing');
    expect(() => emulator.presence({ to: phone, from: CONTACT, presence: 'dancing' as never })).toThrow(
      /presence must be one of/,
    );
  });
});
