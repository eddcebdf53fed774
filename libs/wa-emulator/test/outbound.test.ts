import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AnyMessageContent } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator, type OutboundRecord } from '../src/index.js';
import { messageById, pairClient, waitFor, type TestClient } from './support/client.js';

const CONTACT = '4915700000002';
const CONTACT_JID = `${CONTACT}@s.whatsapp.net`;

describe('outbound capture', () => {
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

  it('text is captured, decrypted and acknowledged; the contact then answers with a Signal msg', async () => {
    const record = await send({ text: 'hi from baileys' });
    expect(record).toMatchObject({ type: 'text', text: 'hi from baileys', from: phone, to: CONTACT, status: 'sent' });
    expect(record.error).toBeUndefined();

    // before the client wrote on the session the contact could only send pkmsg; now it continues with msg
    const before = { ...emulator.stats.inbound };
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'answer' });
    await waitFor(() => messageById(client, id), 'answer');
    expect(emulator.stats.inbound.msg).toBe(before.msg + 1);
  });

  it('a reply carries the quoted id', async () => {
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'question?' });
    const quoted = await waitFor(() => messageById(client, id), 'question');
    const record = await send({ text: 'answer!' }, { quoted });
    expect(record).toMatchObject({ type: 'text', text: 'answer!', quotedId: id });
  });

  it.each([
    [
      'image',
      (data: Buffer) => ({ image: data, caption: 'look', mimetype: 'image/png' }),
      { caption: 'look', mimetype: 'image/png' },
    ],
    [
      'video',
      (data: Buffer) => ({ video: data, caption: 'watch', mimetype: 'video/mp4' }),
      { caption: 'watch', mimetype: 'video/mp4' },
    ],
    [
      'audio',
      (data: Buffer) => ({ audio: data, ptt: true, mimetype: 'audio/ogg; codecs=opus' }),
      { ptt: true, mimetype: 'audio/ogg; codecs=opus' },
    ],
    [
      'document',
      (data: Buffer) => ({ document: data, fileName: 'invoice.pdf', mimetype: 'application/pdf', caption: 'invoice' }),
      { fileName: 'invoice.pdf', mimetype: 'application/pdf', caption: 'invoice' },
    ],
  ] as const)('%s is uploaded to the media host and captured with its bytes', async (type, content, expected) => {
    const data = randomBytes(3000 + 5);
    const record = await send(content(data) as AnyMessageContent);
    expect(record).toMatchObject({ type, ...expected });
    expect(record.error).toBeUndefined();
    expect(record.media?.equals(data)).toBe(true);
  });

  it('location, contact card and reaction', async () => {
    const location = await send({
      location: { degreesLatitude: 48.85, degreesLongitude: 2.35, name: 'Paris', address: 'Centre' },
    });
    expect(location).toMatchObject({
      type: 'location',
      location: { latitude: 48.85, longitude: 2.35, name: 'Paris', address: 'Centre' },
    });

    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL;type=CELL;waid=15551234567:+1 555 123 4567\nEND:VCARD';
    const contact = await send({ contacts: { displayName: 'Ann', contacts: [{ vcard }] } });
    expect(contact).toMatchObject({ type: 'contact', vcard, displayName: 'Ann' });

    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'react to me' });
    const target = await waitFor(() => messageById(client, id), 'target');
    const reaction = await send({ react: { text: '❤️', key: target.key } });
    expect(reaction).toMatchObject({ type: 'reaction', reaction: { text: '❤️', targetId: id } });
  });

  it('edit and delete of an own message', async () => {
    const original = await send({ text: 'typo' });
    const key = { remoteJid: CONTACT_JID, fromMe: true, id: original.id };
    const edit = await send({ text: 'fixed', edit: key });
    expect(edit).toMatchObject({ type: 'edit', text: 'fixed', targetId: original.id });
    const revoke = await send({ delete: key });
    expect(revoke).toMatchObject({ type: 'revoke', targetId: original.id });
  });

  it('answers onWhatsApp, fetchStatus and profilePictureUrl from the contact profile', async () => {
    emulator.profile({
      phone: CONTACT,
      status: 'at the gym',
      pictureUrl: 'https://example.invalid/pp.jpg',
      pushName: 'Gym Bro',
    });
    const [exists] = (await client.sock.onWhatsApp(CONTACT)) ?? [];
    expect(exists).toMatchObject({ jid: CONTACT_JID, exists: true });
    const statuses = (await client.sock.fetchStatus(CONTACT_JID)) as unknown as { status: { status: string } }[];
    expect(statuses[0]?.status.status).toBe('at the gym');
    expect(await client.sock.profilePictureUrl(CONTACT_JID)).toBe('https://example.invalid/pp.jpg');
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'new name' });
    expect((await waitFor(() => messageById(client, id), 'named')).pushName).toBe('Gym Bro');
  });
});
