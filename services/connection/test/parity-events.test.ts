/**
 * The WAHA-parity mappers without a socket: group stub messages → group.v2.*, and poll votes → poll.vote /
 * poll.vote.failed, including votes encrypted under the voter's LID (WhatsApp writes either) and votes for polls
 * this session no longer keeps. (The whole path, emulator to webhook, is in e2e/test/parity-*.test.ts.)
 */
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { mapGroupStubs, mapGroupsUpsert, mapPollVote, type MapContext } from '../src/events/index.js';

const ME = '15550000001';
const BOB = '15557654321';
const BOB_LID = '100000000000077@lid';
const GROUP = '120363000000000001@g.us';
const ctx: MapContext = {
  me: { id: `${ME}@c.us` },
  connectionId: '00000000-0000-4000-8000-000000000001',
  nowMs: () => 1_700_000_000_000,
};
const Stub = proto.WebMessageInfo.StubType;

const stub = (type: number, params: unknown[], id = 'N1'): WAMessage =>
  ({
    key: { remoteJid: GROUP, fromMe: false, id, participant: `${BOB}@s.whatsapp.net` },
    messageStubType: type,
    messageStubParameters: params.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))),
    messageTimestamp: 1_700_000_123,
  }) as WAMessage;

describe('group events', () => {
  it('maps member changes and updates from the stubs, with a dedupe key per notification', () => {
    const out = mapGroupStubs(
      {
        type: 'append',
        messages: [
          stub(Stub.GROUP_PARTICIPANT_ADD, [{ id: `${BOB}@s.whatsapp.net`, admin: null }], 'A'),
          stub(Stub.GROUP_PARTICIPANT_REMOVE, [{ id: `${ME}@s.whatsapp.net` }], 'B'),
          stub(Stub.GROUP_CHANGE_SUBJECT, ['New name'], 'C'),
          stub(Stub.GROUP_CHANGE_ANNOUNCE, ['on'], 'D'),
          stub(Stub.GROUP_CREATE, ['ignored'], 'E'),
        ],
      },
      ctx,
    );
    expect(out.map((e) => [e.event, e.dedupeKey])).toEqual([
      ['group.v2.participants', 'group.v2.participants:A'],
      ['group.v2.participants', 'group.v2.participants:B'],
      ['group.v2.leave', 'group.v2.leave:B'],
      ['group.v2.update', 'group.v2.update:C'],
      ['group.v2.update', 'group.v2.update:D'],
    ]);
    expect(out[0]!.payload).toMatchObject({
      group: { id: GROUP },
      type: 'join',
      timestamp: 1_700_000_123,
      participants: [{ id: `${BOB}@c.us`, pn: `${BOB}@c.us`, role: 'participant' }],
      _data: { id: GROUP, author: `${BOB}@c.us`, action: 'add' },
    });
    expect(out[1]!.payload).toMatchObject({ type: 'leave', participants: [{ id: `${ME}@c.us`, role: 'left' }] });
    expect((out[3]!.payload as { group: unknown }).group).toEqual({ id: GROUP, subject: 'New name' });
    expect((out[4]!.payload as { group: unknown }).group).toEqual({ id: GROUP, membersCanSendMessages: false });
  });

  it('maps a joined group with its participants (members known by LID shown by number when WhatsApp gives it)', () => {
    const [join] = mapGroupsUpsert(
      [
        {
          id: GROUP,
          subject: 'Team',
          participants: [
            { id: `${ME}@s.whatsapp.net`, admin: 'superadmin' },
            { id: BOB_LID, phoneNumber: `${BOB}@s.whatsapp.net`, admin: 'admin' },
            { id: '100000000000099@lid', admin: null },
          ],
        } as never,
      ],
      ctx,
    );
    expect(join!.payload).toMatchObject({
      timestamp: 1_700_000_000,
      group: {
        id: GROUP,
        subject: 'Team',
        description: null,
        invite: null,
        participants: [
          { id: `${ME}@c.us`, pn: `${ME}@c.us`, role: 'superadmin' },
          { id: `${BOB}@c.us`, pn: `${BOB}@c.us`, role: 'admin' },
          { id: '100000000000099@lid', pn: null, role: 'participant' },
        ],
      },
    });
  });
});

/** What a phone sends for `options`, encrypted for `voterJid` (the reverse of Baileys' decryptPollVote). */
function encryptVote(secret: Buffer, pollId: string, creatorJid: string, voterJid: string, options: string[]) {
  const sign = Buffer.concat([
    Buffer.from(pollId),
    Buffer.from(creatorJid),
    Buffer.from(voterJid),
    Buffer.from('Poll Vote'),
    Buffer.from([1]),
  ]);
  const key = createHmac('sha256', createHmac('sha256', Buffer.alloc(32)).update(secret).digest())
    .update(sign)
    .digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${pollId}\u0000${voterJid}`));
  const plain = proto.Message.PollVoteMessage.encode({
    selectedOptions: options.map((o) => createHash('sha256').update(o).digest()),
  }).finish();
  return { encPayload: Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]), encIv: iv };
}

describe('poll votes', () => {
  const secret = randomBytes(32);
  const poll = {
    key: { remoteJid: `${BOB}@s.whatsapp.net`, fromMe: true, id: 'POLL1' },
    message: {
      pollCreationMessageV3: {
        name: 'Lunch?',
        options: [{ optionName: 'Pizza' }, { optionName: 'Sushi' }],
        selectableOptionsCount: 1,
      },
      messageContextInfo: { messageSecret: secret },
    },
  } as unknown as WAMessage;
  const vote = (voterJid: string, options: string[]) =>
    ({
      key: { remoteJid: `${BOB}@s.whatsapp.net`, remoteJidAlt: BOB_LID, fromMe: false, id: 'VOTE1' },
      messageTimestamp: 1_700_000_200,
      message: {
        pollUpdateMessage: {
          pollCreationMessageKey: { remoteJid: `${BOB}@s.whatsapp.net`, fromMe: true, id: 'POLL1' },
          vote: encryptVote(secret, 'POLL1', `${ME}@s.whatsapp.net`, voterJid, options),
          senderTimestampMs: 1_700_000_199_000,
        },
      },
    }) as unknown as WAMessage;
  const me = { pn: `${ME}:3@s.whatsapp.net`, lid: '100000000000001:3@lid' };

  it('gives the chosen option names, whether the vote was keyed by the voter number or LID', () => {
    for (const voter of [`${BOB}@s.whatsapp.net`, BOB_LID]) {
      const event = mapPollVote(vote(voter, ['Sushi']), poll, me, ctx)!;
      expect(event).toEqual({
        event: 'poll.vote',
        dedupeKey: 'poll.vote:VOTE1',
        payload: {
          vote: {
            id: `false_${BOB}@c.us_VOTE1`,
            from: `${BOB}@c.us`,
            to: `${ME}@c.us`,
            fromMe: false,
            participant: null,
            selectedOptions: ['Sushi'],
            timestamp: 1_700_000_199,
          },
          poll: {
            id: `true_${BOB}@c.us_POLL1`,
            from: `${BOB}@c.us`,
            to: `${BOB}@c.us`,
            fromMe: true,
            participant: null,
          },
        },
      });
    }
    expect(mapPollVote(vote(BOB_LID, []), poll, me, ctx)!.payload).toMatchObject({ vote: { selectedOptions: [] } });
  });

  it('is poll.vote.failed when the poll is not kept or the vote does not decrypt', () => {
    expect(mapPollVote(vote(BOB_LID, ['Pizza']), undefined, me, ctx)).toMatchObject({
      event: 'poll.vote.failed',
      payload: { vote: { selectedOptions: [] }, poll: { id: `true_${BOB}@c.us_POLL1` } },
    });
    expect(mapPollVote(vote('999@s.whatsapp.net', ['Pizza']), poll, me, ctx)!.event).toBe('poll.vote.failed');
  });
});
