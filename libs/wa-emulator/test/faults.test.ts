import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, messageById, pairClient, waitFor } from './support/client.js';

const CONTACT = '4915700000004';

describe('faults and offline queueing', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
    trustServerRootKey(emulator.rootPublicKey);
  });
  afterAll(async () => {
    await emulator.close();
  });

  it.each([
    ['drop', DisconnectReason.connectionClosed],
    ['restart', DisconnectReason.restartRequired],
    ['515', DisconnectReason.restartRequired],
    ['logout', DisconnectReason.loggedOut],
    ['403', DisconnectReason.forbidden],
    ['conflict', DisconnectReason.connectionReplaced],
  ] as const)('fault %s → DisconnectReason %d', async (kind, reason) => {
    const { client, phone } = await pairClient(emulator);
    client.autoRestart = false;
    emulator.fault({ phone, kind });
    await waitFor(() => client.closes.length > 1, 'close');
    expect(client.closes.at(-1)).toBe(reason);
    if (kind === 'logout') {
      // the device stays removed: logging in again fails with 401 too
      const again = createClient({ emulator, creds: client.creds, keys: client.keys });
      await waitFor(() => again.closes.length > 0, 'second close');
      expect(again.closes[0]).toBe(DisconnectReason.loggedOut);
    }
  });

  it('a second login with the same credentials replaces the first (440)', async () => {
    const { client } = await pairClient(emulator);
    const twin = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => twin.opens > 0, 'twin open');
    await waitFor(() => client.closes.length > 1, 'first replaced');
    expect(client.closes.at(-1)).toBe(DisconnectReason.connectionReplaced);
    twin.end();
  });

  it('refuse: new connections fail for a while, then work again', async () => {
    const { client, phone } = await pairClient(emulator);
    client.end();
    await waitFor(() => !emulator.accounts().find((a) => a.phone === phone)?.connected, 'closed');
    emulator.fault({ kind: 'refuse', ms: 1500 });
    const refused = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => refused.closes.length > 0, 'refused');
    expect(refused.opens).toBe(0);
    expect(refused.closes[0]).toBe(DisconnectReason.timedOut); // WebSocket Error (socket hang up)
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const later = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => later.opens > 0, 'open after the refusal');
    later.end();
  });

  it('messages sent while the client is offline arrive after it reconnects', async () => {
    const { client, phone } = await pairClient(emulator);
    client.end();
    await waitFor(() => !emulator.accounts().find((a) => a.phone === phone)?.connected, 'closed');
    const { id: first } = await emulator.inbound({
      to: phone,
      from: CONTACT,
      type: 'text',
      text: 'while you were away',
    });
    const { id: second } = await emulator.inbound({
      to: phone,
      from: CONTACT,
      type: 'location',
      latitude: 1,
      longitude: 2,
    });
    const back = createClient({ emulator, creds: client.creds, keys: client.keys });
    const a = await waitFor(() => messageById(back, first), 'first offline message');
    const b = await waitFor(() => messageById(back, second), 'second offline message');
    expect(a.message?.conversation).toBe('while you were away');
    expect(b.message?.locationMessage?.degreesLongitude).toBe(2);
    // the client acked both: another reconnect delivers nothing twice
    await waitFor(() => emulator.directory.account(phone)!.unacked.size === 0, 'acks');
    back.end();
    await waitFor(() => !emulator.accounts().find((x) => x.phone === phone)?.connected, 'closed again');
    const third = createClient({ emulator, creds: client.creds, keys: client.keys });
    await waitFor(() => third.updates.some((u) => u.receivedPendingNotifications), 'offline notice');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(third.messages.filter((m) => m.message.key.id === first || m.message.key.id === second)).toHaveLength(0);
    third.end();
  });

  it('a message whose connection dies before the client acks it is delivered again after reconnect', async () => {
    const { client, phone } = await pairClient(emulator);
    client.autoRestart = false;
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'fragile' });
    emulator.fault({ phone, kind: 'drop' }); // before the client could ack (the stanza may be half-way out)
    await waitFor(() => !emulator.accounts().find((x) => x.phone === phone)?.connected, 'closed');
    const back = createClient({ emulator, creds: client.creds, keys: client.keys });
    const message = await waitFor(() => messageById(back, id), 'fragile message redelivered');
    expect(message.message?.conversation).toBe('fragile');
    back.end();
  });

  it('rejects unknown faults and phones', () => {
    expect(() => emulator.fault({ phone: '15550000001', kind: 'explode' })).toThrow(/kind must be one of/);
    expect(() => emulator.fault({ phone: '4400000000', kind: 'drop' })).toThrow(/no linked account/);
    expect(() => emulator.fault({ kind: 'drop' })).toThrow(/phone is required/);
  });
});
