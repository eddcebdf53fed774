/**
 * Polls with the real Baileys client: a poll it sends is checked as WhatsApp checks it (poll stanza, creation meta,
 * a 32-byte secret, options), and a contact's vote arrives encrypted the way a phone encrypts it, so Baileys'
 * own `decryptPollVote` (with the poll's secret) gives back the chosen options.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decryptPollVote, jidNormalizedUser } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { messageById, pairClient, waitFor, type TestClient } from './support/client.js';

const BOB = '4915700000042';
const bobJid = `${BOB}@s.whatsapp.net`;

describe('polls', () => {
  let emulator: Emulator;
  let client: TestClient;
  let phone: string;

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none' });
    trustServerRootKey(emulator.rootPublicKey);
    ({ client, phone } = await pairClient(emulator));
  }, 60_000);
  afterAll(async () => {
    client?.end();
    await emulator.close();
  });

  it('records a poll the client sends, checked, and delivers a vote Baileys decrypts to the chosen option', async () => {
    const sent = await client.sock.sendMessage(bobJid, {
      poll: { name: 'Lunch?', values: ['Pizza', 'Sushi'], selectableCount: 1 },
    });
    const pollId = sent!.key.id!;
    const record = await waitFor(() => emulator.outbound(phone).find((r) => r.id === pollId), 'the poll');
    expect(record).toMatchObject({
      type: 'poll',
      poll: { name: 'Lunch?', options: ['Pizza', 'Sushi'], selectableCount: 1 },
    });
    expect(record.error).toBeUndefined();
    expect(Buffer.from(record.poll!.secret, 'base64')).toHaveLength(32);

    const { id: voteId } = await emulator.pollVote({ to: phone, from: BOB, pollId, options: ['Sushi'] });
    const vote = await waitFor(() => messageById(client, voteId), 'the vote');
    const update = vote.message!.pollUpdateMessage!;
    // Baileys normalises the key to this client's view: its own poll, in the chat with Bob
    expect(update.pollCreationMessageKey).toMatchObject({ id: pollId, fromMe: true, remoteJid: bobJid });
    const decrypted = decryptPollVote(update.vote as { encPayload: Uint8Array; encIv: Uint8Array }, {
      pollCreatorJid: jidNormalizedUser(client.creds.me!.id),
      pollMsgId: pollId,
      pollEncKey: sent!.message!.messageContextInfo!.messageSecret!,
      voterJid: bobJid,
    });
    expect(decrypted.selectedOptions!.map((h) => Buffer.from(h).toString('hex'))).toEqual([
      createHash('sha256').update('Sushi').digest('hex'),
    ]);
  });

  it('refuses votes WhatsApp would not carry, and flags a poll stanza without the creation meta', async () => {
    const sent = await client.sock.sendMessage(bobJid, {
      poll: { name: 'One', values: ['a', 'b'], selectableCount: 1 },
    });
    const pollId = sent!.key.id!;
    await waitFor(() => emulator.outbound(phone).find((r) => r.id === pollId), 'the poll');
    await expect(emulator.pollVote({ to: phone, from: BOB, pollId, options: ['c'] })).rejects.toThrow(/not options/);
    await expect(emulator.pollVote({ to: phone, from: BOB, pollId, options: ['a', 'b'] })).rejects.toThrow(
      /one answer/,
    );
    await expect(emulator.pollVote({ to: phone, from: BOB, pollId: 'NOPE', options: [] })).rejects.toThrow(
      /no message/,
    );

    // relayMessage skips what sendMessage adds for polls (the <meta polltype=creation>): WhatsApp would refuse it
    const raw = 'RAWPOLL00000001';
    await client.sock.relayMessage(
      bobJid,
      {
        pollCreationMessageV3: {
          name: 'raw',
          options: [{ optionName: 'x' }, { optionName: 'y' }],
          selectableOptionsCount: 1,
        },
        messageContextInfo: { messageSecret: Buffer.alloc(32, 1) },
      },
      { messageId: raw },
    );
    const record = await waitFor(() => emulator.outbound(phone).find((r) => r.id === raw), 'the raw poll');
    expect(record.error).toMatch(/polltype/);
  });
});
