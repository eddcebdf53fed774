import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { downloadMediaMessage, proto, type WAMessage } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { messageById, pairClient, waitFor, type TestClient } from './support/client.js';

const CONTACT = '4915700000001';

describe('inbound messages (Signal pkmsg then msg)', () => {
  let emulator: Emulator;
  let client: TestClient;
  let phone: string;

  beforeAll(async () => {
    emulator = await startEmulator({ inboundMedia: 'http' }); // downloadMediaMessage below trusts no test certificate
    trustServerRootKey(emulator.rootPublicKey);
    ({ client, phone } = await pairClient(emulator));
  });
  afterAll(async () => {
    client?.end();
    await emulator.close();
  });

  const arrive = async (input: Record<string, unknown>): Promise<WAMessage> => {
    const { id } = await emulator.inbound({ to: phone, from: CONTACT, ...input } as never);
    return waitFor(() => messageById(client, id), `inbound ${String(input.type)} ${id}`);
  };
  const bytesOf = async (message: WAMessage): Promise<Buffer> =>
    (await downloadMediaMessage(message, 'buffer', {})) as Buffer;

  it('text arrives in messages.upsert from the contact', async () => {
    const pkmsgBefore = emulator.stats.inbound.pkmsg;
    const message = await arrive({ type: 'text', text: 'hello from the emulator', pushName: 'Alice' });
    expect(message.message?.conversation).toBe('hello from the emulator');
    expect(message.key.fromMe).toBe(false);
    expect(message.key.remoteJid).toBe(`${CONTACT}@s.whatsapp.net`);
    expect(message.pushName).toBe('Alice');
    expect(emulator.stats.inbound.pkmsg).toBe(pkmsgBefore + 1); // a real Signal PreKeyWhisperMessage
    const second = await arrive({ type: 'text', text: 'second one' });
    expect(second.message?.conversation).toBe('second one');
  });

  it('a reply quotes the earlier message', async () => {
    const { id: first } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'original' });
    const reply = await arrive({ type: 'reply', text: 'this is a reply', replyTo: first });
    const ext = reply.message?.extendedTextMessage;
    expect(ext?.text).toBe('this is a reply');
    expect(ext?.contextInfo?.stanzaId).toBe(first);
    expect(ext?.contextInfo?.quotedMessage?.conversation).toBe('original');
  });

  it.each([
    ['image', { caption: 'a picture', mimetype: 'image/png' }, 'imageMessage'],
    ['video', { caption: 'a clip' }, 'videoMessage'],
    ['audio', {}, 'audioMessage'],
    ['voice', { seconds: 3 }, 'audioMessage'],
    ['document', { fileName: 'report.pdf', mimetype: 'application/pdf', caption: 'the report' }, 'documentMessage'],
  ] as const)('%s is downloadable and decrypts to the same bytes', async (type, extra, field) => {
    const data = randomBytes(4096 + 7);
    const message = await arrive({ type, data: data.toString('base64'), ...extra });
    const media = message.message?.[field] as Record<string, unknown> | undefined;
    expect(media).toBeDefined();
    for (const [key, value] of Object.entries(extra)) if (key !== 'seconds') expect(media?.[key]).toBe(value);
    if (type === 'voice') expect(media?.ptt).toBe(true);
    if (type === 'audio') expect(media?.ptt).toBe(false);
    expect((await bytesOf(message)).equals(data)).toBe(true);
  });

  it('location and contact card', async () => {
    const location = await arrive({
      type: 'location',
      latitude: 52.52,
      longitude: 13.405,
      name: 'Berlin',
      address: 'Mitte',
    });
    expect(location.message?.locationMessage).toMatchObject({
      degreesLatitude: 52.52,
      degreesLongitude: 13.405,
      name: 'Berlin',
      address: 'Mitte',
    });
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Jeff\nTEL;type=CELL;waid=911234567890:+91 12345 67890\nEND:VCARD';
    const contact = await arrive({ type: 'contact', displayName: 'Jeff', vcard });
    expect(contact.message?.contactMessage).toMatchObject({ displayName: 'Jeff', vcard });
  });

  it('reaction, edit and revoke point at the earlier message', async () => {
    const { id: target } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: 'to be changed' });
    await waitFor(() => messageById(client, target), 'target');
    const reaction = await arrive({ type: 'reaction', targetId: target, emoji: '👍' });
    expect(reaction.message?.reactionMessage).toMatchObject({ text: '👍', key: { id: target } });

    const edit = await arrive({ type: 'edit', targetId: target, text: 'changed text' });
    const editProtocol = edit.message?.protocolMessage ?? edit.message?.editedMessage?.message?.protocolMessage;
    expect(editProtocol?.type).toBe(proto.Message.ProtocolMessage.Type.MESSAGE_EDIT);
    expect(editProtocol?.key?.id).toBe(target);
    expect(editProtocol?.editedMessage?.conversation).toBe('changed text');

    const { id: revokeId } = await emulator.inbound({ to: phone, from: CONTACT, type: 'revoke', targetId: target });
    const revoked = await waitFor(
      () =>
        client.events.find(
          (e) =>
            e.name === 'messages.update' &&
            (e.data as { key: { id: string }; update: { messageStubType?: number } }[]).some(
              (u) => u.key.id === target && u.update.messageStubType === proto.WebMessageInfo.StubType.REVOKE,
            ),
        ),
      `revoke ${revokeId}`,
    );
    expect(revoked).toBeDefined();
  });

  it('LID-addressed messages arrive too', async () => {
    const message = await arrive({ type: 'text', text: 'via lid', addressing: 'lid' });
    expect(message.message?.conversation).toBe('via lid');
  });

  it('rejects bad input with a clear message', async () => {
    await expect(emulator.inbound({ to: phone, from: CONTACT, type: 'nope' } as never)).rejects.toThrow(
      /type must be one of/,
    );
    await expect(emulator.inbound({ to: '1', from: CONTACT, type: 'text', text: 'x' })).rejects.toThrow(
      /to must be a phone number/,
    );
    await expect(emulator.inbound({ to: '4400000000', from: CONTACT, type: 'text', text: 'x' })).rejects.toThrow(
      /no linked account/,
    );
    await expect(emulator.inbound({ to: phone, from: CONTACT, type: 'image' } as never)).rejects.toThrow(/data/);
  });
});
