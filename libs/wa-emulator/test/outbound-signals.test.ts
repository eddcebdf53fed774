import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AnyMessageContent } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator, type OutboundRecord } from '../src/index.js';
import { messageById, pairClient, waitFor, type TestClient } from './support/client.js';

const CONTACT = '4915700000009';
const CONTACT_JID = `${CONTACT}@s.whatsapp.net`;

/** What the outbound capture adds for the connection service's send paths: quotes on every type, reaction
 *  targets, and the client's read receipts / typing states (recorded as `signals`). */
describe('outbound details and client signals', () => {
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

  const send = async (content: AnyMessageContent, options = {}): Promise<OutboundRecord> => {
    const sent = await client.sock.sendMessage(CONTACT_JID, content, options);
    const id = sent!.key.id!;
    return waitFor(() => emulator.outbound(phone).find((r) => r.id === id), `outbound ${id}`);
  };
  const inbound = async (text: string) => {
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text });
    return waitFor(() => messageById(client, id), text);
  };

  it('a location or a contact card that quotes a message carries the quoted id; plain ones carry none', async () => {
    const quoted = await inbound('where are you?');
    const location = await send({ location: { degreesLatitude: 1.5, degreesLongitude: 2.5 } }, { quoted });
    expect(location).toMatchObject({ type: 'location', quotedId: quoted.key.id });
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Bo\nEND:VCARD';
    const contact = await send({ contacts: { displayName: 'Bo', contacts: [{ vcard }] } }, { quoted });
    expect(contact).toMatchObject({ type: 'contact', vcard, quotedId: quoted.key.id });
    const plain = await send({ location: { degreesLatitude: 3, degreesLongitude: 4 } });
    expect(plain.quotedId).toBeUndefined();
    expect('quotedId' in plain).toBe(false);
  });

  it('a reaction names its target and whose it is', async () => {
    const theirs = await inbound('react to this');
    const onTheirs = await send({ react: { text: '👍', key: theirs.key } });
    expect(onTheirs.reaction).toEqual({ text: '👍', targetId: theirs.key.id, targetFromMe: false });
    const mine = await send({ text: 'mine' });
    const onMine = await send({ react: { text: '', key: { remoteJid: CONTACT_JID, fromMe: true, id: mine.id } } });
    expect(onMine.reaction).toEqual({ text: '', targetId: mine.id, targetFromMe: true });
  });

  it('records read receipts for the messages the client read, in the order it listed them', async () => {
    const a = await inbound('one');
    const b = await inbound('two');
    await client.sock.readMessages([a.key, b.key]);
    const read = await waitFor(
      () => emulator.signals(phone).find((s) => s.kind === 'read' && s.ids.includes(a.key.id!)),
      'read receipt',
    );
    expect(read).toMatchObject({ kind: 'read', to: CONTACT, ids: [a.key.id, b.key.id] });
    expect(['read', 'read-self']).toContain((read as { type: string }).type);
  });

  it('records typing states, and serves the signals over the control API', async () => {
    await client.sock.sendPresenceUpdate('composing', CONTACT_JID);
    await client.sock.sendPresenceUpdate('paused', CONTACT_JID);
    await waitFor(
      () => emulator.signals(phone).some((s) => s.kind === 'chatstate' && s.state === 'paused'),
      'paused chatstate',
    );
    const states = emulator.signals(phone).flatMap((s) => (s.kind === 'chatstate' ? [`${s.to}:${s.state}`] : []));
    expect(states).toEqual([`${CONTACT}:composing`, `${CONTACT}:paused`]);

    const res = await fetch(`${emulator.baseUrl}/control/signals?phone=${phone}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { signals: { kind: string }[] };
    expect(body.signals.map((s) => s.kind)).toEqual(emulator.signals(phone).map((s) => s.kind));
    expect((await fetch(`${emulator.baseUrl}/control/signals`)).status).toBe(400);
    expect((await fetch(`${emulator.baseUrl}/control/signals?phone=19999999999`)).status).toBe(400);
  });
});
