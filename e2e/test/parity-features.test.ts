/**
 * What users of WAHA and Evolution API rely on, end to end through the HTTP API and a webhook receiver: number
 * checks, groups, and the events of what the other side does (reactions, edits, deletions, group changes). The
 * emulator plays WhatsApp's servers and every other phone, and checks what the real Baileys client sends
 * (usync contact queries with `+<digits>`, `w:g2` queries from admins only, well-formed jids); bad input is a 4xx
 * that sends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startParityStack, type ParityStack } from './support/parity-stack.js';

const ALICE = '4915100000031';
const BOB = '4915100000032';
const CAROL = '4915100000033';
const NOBODY = '4915100000039'; // not on WhatsApp

let env: TestEnv;
let stack: ParityStack;
let id: string; // a linked connection
let phone: string; // its number
let unlinked: string; // a connection nobody linked

beforeAll(async () => {
  env = await createTestEnv('e2e_parity_features');
  stack = await startParityStack(env, { messaging: true });
  stack.emulator.setOnWhatsApp({ phone: NOBODY, onWhatsApp: false });
  id = await stack.newConnection('parity');
  phone = await stack.linkByQr(id);
  unlinked = await stack.newConnection('unlinked');
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.cleanup();
});

const c = (digits: string) => `${digits}@c.us`;

function expectError(r: { status: number; body: any }, status: number, message: string | RegExp) {
  expect(r.status).toBe(status);
  expect(r.body).toMatchObject({ statusCode: status, error: expect.any(String) });
  if (typeof message === 'string') expect(r.body.message).toBe(message);
  else expect(String(r.body.message)).toMatch(message);
}

describe('number checks', () => {
  it('answers [{phone, exists, chatId}] for one number and for a batch, in the order asked, cached briefly', async () => {
    const one = await stack.api('GET', `/api/connections/${id}/contacts/check?phone=%2B${ALICE}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual([{ phone: ALICE, exists: true, chatId: c(ALICE) }]);
    const none = await stack.api('GET', `/api/connections/${id}/contacts/check?phone=${NOBODY}`);
    expect(none.body).toEqual([{ phone: NOBODY, exists: false, chatId: null }]);

    const batch = await stack.api('POST', `/api/connections/${id}/contacts/check`, {
      phones: [`+${BOB}`, NOBODY, '+49 151 0000 0031'],
    });
    expect(batch.status).toBe(200);
    expect(batch.body).toEqual([
      { phone: BOB, exists: true, chatId: c(BOB) },
      { phone: NOBODY, exists: false, chatId: null },
      { phone: ALICE, exists: true, chatId: c(ALICE) },
    ]);
    // WhatsApp was asked as it expects (+digits), once per number: the batch reused the earlier answers
    expect(stack.emulator.numberChecks()).toEqual([`+${ALICE}`, `+${NOBODY}`, `+${BOB}`]);
    await stack.api('POST', `/api/connections/${id}/contacts/check`, { phones: [ALICE, BOB, NOBODY] });
    expect(stack.emulator.numberChecks()).toHaveLength(3);
  });

  it('refuses bad input with a 400 (and asks WhatsApp nothing), an unlinked connection with a 409', async () => {
    const before = stack.emulator.numberChecks().length;
    expectError(await stack.api('GET', `/api/connections/${id}/contacts/check`), 400, 'phone is required');
    expectError(
      await stack.api('GET', `/api/connections/${id}/contacts/check?phone=abc`),
      400,
      /phone must be a phone number with its country code/,
    );
    expectError(
      await stack.api('POST', `/api/connections/${id}/contacts/check`, { phones: [] }),
      400,
      'phones must be an array of 1 to 50 phone numbers',
    );
    expectError(
      await stack.api('POST', `/api/connections/${id}/contacts/check`, {
        phones: Array.from({ length: 51 }, (_, i) => `49151${String(i).padStart(8, '0')}`),
      }),
      400,
      'phones must hold at most 50 phone numbers',
    );
    expectError(
      await stack.api('POST', `/api/connections/${id}/contacts/check`, { phones: [ALICE, '12'] }),
      400,
      /^phones\[1\] must be a phone number/,
    );
    expectError(await stack.api('POST', `/api/connections/${id}/contacts/check`, {}), 400, 'phones is required');
    expect(stack.emulator.numberChecks()).toHaveLength(before);
    expectError(
      await stack.api('GET', `/api/connections/${unlinked}/contacts/check?phone=${ALICE}`),
      409,
      /not linked to WhatsApp/,
    );
    expectError(
      await stack.api('GET', `/api/connections/nope/contacts/check?phone=${ALICE}`),
      400,
      'Invalid connection id',
    );
  });
});

describe('groups', () => {
  let group: string;

  it('creates a group (POST …/groups): the documented shape, WhatsApp holds it, group.v2.join arrives', async () => {
    const r = await stack.api('POST', `/api/connections/${id}/groups`, {
      subject: 'Team',
      participants: [ALICE, `+${BOB}`, c(NOBODY)],
    });
    expect(r.status).toBe(201);
    group = r.body.id;
    expect(group).toMatch(/^\d+@g\.us$/);
    expect(r.body).toEqual({
      id: group,
      subject: 'Team',
      description: null,
      owner: c(phone),
      creation: expect.any(Number),
      size: 3,
      announce: false,
      restrict: false,
      participants: [
        { id: c(phone), role: 'superadmin', isAdmin: true, isSuperAdmin: true },
        { id: c(ALICE), role: 'participant', isAdmin: false, isSuperAdmin: false },
        { id: c(BOB), role: 'participant', isAdmin: false, isSuperAdmin: false },
      ],
    });
    expect(stack.emulator.groupInfo(group)).toMatchObject({
      subject: 'Team',
      creator: phone,
      participants: [
        { phone, role: 'superadmin' },
        { phone: ALICE, role: 'participant' },
        { phone: BOB, role: 'participant' },
      ],
    });
    const [join] = await stack.until(
      'group.v2.join',
      () => stack.events(id, 'group.v2.join').length > 0 && stack.events(id, 'group.v2.join'),
    );
    expect(join!.payload).toMatchObject({
      timestamp: expect.any(Number),
      group: {
        id: group,
        subject: 'Team',
        participants: [
          { id: c(phone), pn: c(phone), role: 'superadmin' },
          { id: c(ALICE), pn: c(ALICE), role: 'participant' },
          { id: c(BOB), pn: c(BOB), role: 'participant' },
        ],
      },
    });
  });

  it('lists and reads groups', async () => {
    const list = await stack.api('GET', `/api/connections/${id}/groups`);
    expect(list.status).toBe(200);
    expect(list.body.map((g: { id: string }) => g.id)).toContain(group);
    const one = await stack.api('GET', `/api/connections/${id}/groups/${group}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: group, subject: 'Team', size: 3 });
    const bare = await stack.api('GET', `/api/connections/${id}/groups/${group.replace('@g.us', '')}`);
    expect(bare.body.id).toBe(group);
  });

  it('adds, promotes, demotes and removes members, with group.v2.participants for each', async () => {
    const add = await stack.api('POST', `/api/connections/${id}/groups/${group}/participants/add`, {
      participants: [CAROL, { id: c(ALICE) }],
    });
    expect(add.status).toBe(200);
    expect(add.body).toEqual([
      { id: c(CAROL), status: 200 },
      { id: c(ALICE), status: 409 },
    ]);
    const promote = await stack.api('POST', `/api/connections/${id}/groups/${group}/participants/promote`, {
      participants: [ALICE],
    });
    expect(promote.body).toEqual([{ id: c(ALICE), status: 200 }]);
    expect(stack.emulator.groupInfo(group).participants).toContainEqual({ phone: ALICE, role: 'admin' });
    await stack.api('POST', `/api/connections/${id}/groups/${group}/participants/demote`, { participants: [ALICE] });
    await stack.api('POST', `/api/connections/${id}/groups/${group}/participants/remove`, { participants: [CAROL] });
    expect(stack.emulator.groupInfo(group).participants.map((p) => p.phone)).toEqual([phone, ALICE, BOB]);

    const changes = await stack.until('four group.v2.participants', () => {
      const e = stack.events(id, 'group.v2.participants');
      return e.length >= 4 && e;
    });
    expect(changes.map((e) => [e.payload.type, e.payload.participants])).toEqual([
      ['join', [{ id: c(CAROL), pn: c(CAROL), role: 'participant' }]],
      ['promote', [{ id: c(ALICE), pn: c(ALICE), role: 'admin' }]],
      ['demote', [{ id: c(ALICE), pn: c(ALICE), role: 'participant' }]],
      ['leave', [{ id: c(CAROL), pn: c(CAROL), role: 'left' }]],
    ]);
    expect(changes[0]!.payload).toMatchObject({ group: { id: group }, timestamp: expect.any(Number) });
    expect(stack.events(id, 'group.v2.leave')).toHaveLength(0); // somebody else left, not this number
  });

  it('gets and revokes the invite link', async () => {
    const invite = await stack.api('GET', `/api/connections/${id}/groups/${group}/invite`);
    expect(invite.status).toBe(200);
    expect(invite.body).toEqual({ code: expect.any(String), url: `https://chat.whatsapp.com/${invite.body.code}` });
    const revoked = await stack.api('POST', `/api/connections/${id}/groups/${group}/invite/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.code).not.toBe(invite.body.code);
    expect(stack.emulator.groupInfo(group).inviteCode).toBe(revoked.body.code);
  });

  it('sends group.v2.update when another member changes the subject or the description', async () => {
    stack.emulator.groupAction({ group, actor: phone, action: 'promote', participants: [ALICE] });
    stack.emulator.groupAction({ group, actor: ALICE, action: 'subject', subject: 'Team 2' });
    stack.emulator.groupAction({ group, actor: ALICE, action: 'description', description: 'our team' });
    const updates = await stack.until('two group.v2.update', () => {
      const e = stack.events(id, 'group.v2.update');
      return e.length >= 2 && e;
    });
    expect(updates.map((e) => e.payload.group)).toEqual([
      { id: group, subject: 'Team 2' },
      { id: group, description: 'our team' },
    ]);
    expect(updates[0]!.payload._data).toMatchObject({ id: group, author: c(ALICE) });
    expect((await stack.api('GET', `/api/connections/${id}/groups/${group}`)).body).toMatchObject({
      subject: 'Team 2',
      description: 'our team',
    });
  });

  it('refuses bad input (400), unknown groups (404), non-admins (403) and unlinked connections (409), changing nothing', async () => {
    const before = JSON.stringify(stack.emulator.groupInfo(group));
    const base = `/api/connections/${id}/groups`;
    expectError(await stack.api('GET', `${base}/not-a-group`), 400, 'Invalid group id');
    expectError(await stack.api('POST', base, { participants: [ALICE] }), 400, 'subject is required');
    expectError(await stack.api('POST', base, { subject: 'x'.repeat(101), participants: [ALICE] }), 400, /at most 100/);
    expectError(await stack.api('POST', base, { subject: 'x' }), 400, 'participants is required');
    expectError(
      await stack.api('POST', `${base}/${group}/participants/add`, { participants: [] }),
      400,
      'participants must hold at least 1 phone number',
    );
    expectError(
      await stack.api('POST', `${base}/${group}/participants/add`, { participants: ['abc'] }),
      400,
      /^participants\[0\] must be phone numbers/,
    );
    expectError(await stack.api('GET', `${base}/120363999999999999@g.us`), 404, /Group not found/);
    expect(JSON.stringify(stack.emulator.groupInfo(group))).toBe(before);

    // a group somebody else created, with this number as a plain member
    const theirs = stack.emulator.createGroup({ creator: ALICE, participants: [phone, BOB], subject: 'Theirs' });
    expectError(
      await stack.api('POST', `${base}/${theirs.jid}/participants/add`, { participants: [CAROL] }),
      403,
      'Only group admins can do this',
    );
    expectError(await stack.api('GET', `${base}/${theirs.jid}/invite`), 403, 'Only group admins can do this');
    expect(stack.emulator.groupInfo(theirs.jid).participants.map((p) => p.phone)).not.toContain(CAROL);
    expectError(await stack.api('GET', `/api/connections/${unlinked}/groups`), 409, /not linked to WhatsApp/);
  });

  it('leaves a group: group.v2.leave, and the group is gone from the list', async () => {
    const r = await stack.api('POST', `/api/connections/${id}/groups/${group}/leave`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true });
    expect(stack.emulator.groupInfo(group).participants.map((p) => p.phone)).not.toContain(phone);
    const [leave] = await stack.until('group.v2.leave', () => {
      const e = stack.events(id, 'group.v2.leave');
      return e.length > 0 && e;
    });
    expect(leave!.payload).toMatchObject({ group: { id: group }, timestamp: expect.any(Number) });
    const list = await stack.api('GET', `/api/connections/${id}/groups`);
    expect(list.body.map((g: { id: string }) => g.id)).not.toContain(group);
  });
});

describe('what the other side does: reactions, edits and deletions', () => {
  it('message.reaction, message.edited and message.revoked reach the webhook with their documented payloads', async () => {
    const { id: original } = await stack.emulator.inbound({ to: phone, from: ALICE, type: 'text', text: 'hello' });
    await stack.emulator.inbound({ to: phone, from: ALICE, type: 'reaction', targetId: original, emoji: '👍' });
    await stack.emulator.inbound({ to: phone, from: ALICE, type: 'reaction', targetId: original, emoji: '' });
    await stack.emulator.inbound({ to: phone, from: ALICE, type: 'edit', targetId: original, text: 'hello (edited)' });
    await stack.emulator.inbound({ to: phone, from: ALICE, type: 'revoke', targetId: original });
    const originalId = `false_${c(ALICE)}_${original}`;

    const reactions = await stack.until('two message.reaction', () => {
      const e = stack.events(id, 'message.reaction');
      return e.length >= 2 && e;
    });
    expect(reactions.map((e) => e.payload)).toEqual([
      {
        id: expect.stringMatching(new RegExp(`^false_${ALICE}@c\\.us_`)),
        from: c(ALICE),
        fromMe: false,
        participant: null,
        to: c(phone),
        timestamp: expect.any(Number),
        reaction: { text: '👍', messageId: originalId },
      },
      expect.objectContaining({ reaction: { text: '', messageId: originalId } }),
    ]);
    const [edited] = await stack.until('message.edited', () => {
      const e = stack.events(id, 'message.edited');
      return e.length > 0 && e;
    });
    expect(edited!.payload).toMatchObject({
      from: c(ALICE),
      fromMe: false,
      body: 'hello (edited)',
      editedMessageId: original,
    });
    const [revoked] = await stack.until('message.revoked', () => {
      const e = stack.events(id, 'message.revoked');
      return e.length > 0 && e;
    });
    expect(revoked!.payload).toMatchObject({ revokedMessageId: original, after: { from: c(ALICE), fromMe: false } });
    // none of them is a `message` of its own
    expect(stack.events(id, 'message').map((e) => e.payload.body)).toEqual(['hello']);
  });
});

describe('polls', () => {
  const sendPoll = (body: unknown, connection = id) =>
    stack.api('POST', `/api/connections/${connection}/send-poll`, body);

  it('sends a poll WhatsApp accepts, and votes arrive as poll.vote with the chosen option names', async () => {
    const single = await sendPoll({ chatId: c(BOB), name: 'Lunch?', options: ['Pizza', 'Sushi'], skipPresence: true });
    expect(single.status).toBe(201);
    expect(single.body).toEqual({
      id: expect.stringMatching(new RegExp(`^true_${BOB}@c\\.us_[0-9A-F]+$`)),
      timestamp: expect.any(Number),
      status: 'sent',
    });
    const pollId = single.body.id.split('_').pop();
    const record = await stack.until('the poll at WhatsApp', () =>
      stack.emulator.outbound(phone).find((r) => r.id === pollId),
    );
    expect(record).toMatchObject({
      type: 'poll',
      poll: { name: 'Lunch?', options: ['Pizza', 'Sushi'], selectableCount: 1 },
    });
    expect(record.error).toBeUndefined(); // a poll stanza with the creation meta and a 32-byte secret

    await stack.emulator.pollVote({ to: phone, from: BOB, pollId, options: ['Sushi'] });
    const [vote] = await stack.until('poll.vote', () => {
      const e = stack.events(id, 'poll.vote');
      return e.length > 0 && e;
    });
    expect(vote!.payload).toEqual({
      vote: {
        id: expect.stringMatching(new RegExp(`^false_${BOB}@c\\.us_`)),
        from: c(BOB),
        to: c(phone),
        fromMe: false,
        participant: null,
        selectedOptions: ['Sushi'],
        timestamp: expect.any(Number),
      },
      poll: { id: single.body.id, from: c(BOB), to: c(BOB), fromMe: true, participant: null },
    });

    const multi = await sendPoll({
      chatId: BOB,
      name: 'Which days?',
      options: ['Mon', 'Tue', 'Wed'],
      multipleAnswers: true,
      skipPresence: true,
    });
    const multiId = multi.body.id.split('_').pop();
    const multiRecord = await stack.until('the second poll', () =>
      stack.emulator.outbound(phone).find((r) => r.id === multiId),
    );
    expect(multiRecord.poll).toMatchObject({ options: ['Mon', 'Tue', 'Wed'], selectableCount: 0 });
    await stack.emulator.pollVote({ to: phone, from: BOB, pollId: multiId, options: ['Mon', 'Wed'] });
    await stack.emulator.pollVote({ to: phone, from: BOB, pollId: multiId, options: [] }); // takes it back
    const votes = await stack.until('two more poll.vote', () => {
      const e = stack.events(id, 'poll.vote');
      return e.length >= 3 && e;
    });
    expect(votes.slice(1).map((e) => [e.payload.poll.id, e.payload.vote.selectedOptions])).toEqual([
      [multi.body.id, ['Mon', 'Wed']],
      [multi.body.id, []],
    ]);
    expect(stack.events(id, 'poll.vote.failed')).toHaveLength(0);
  });

  it('refuses bad polls with a 400 and sends nothing; an unlinked connection gets a 409', async () => {
    const before = stack.emulator.outbound(phone).length;
    const ok = { chatId: c(BOB), name: 'Q', options: ['a', 'b'], skipPresence: true };
    for (const [body, message] of [
      [{ chatId: c(BOB), name: 'Q' }, 'chatId, name and options are required'],
      [{ ...ok, name: '' }, 'chatId, name and options are required'],
      [{ ...ok, options: ['only'] }, 'options must hold 2 to 12 option names'],
      [{ ...ok, options: Array.from({ length: 13 }, (_, i) => `o${i}`) }, 'options must hold 2 to 12 option names'],
      [{ ...ok, options: ['a', 'a'] }, 'options must be distinct'],
      [{ ...ok, options: ['a', 'x'.repeat(101)] }, 'each option must be 1 to 100 characters'],
      [{ ...ok, options: 'a,b' }, 'options must be an array of option names'],
      [{ ...ok, multipleAnswers: 'yes' }, 'multipleAnswers must be a boolean'],
      [{ ...ok, chatId: 'nobody' }, /^chatId must be a phone number or a chat id/],
    ] as const) {
      const r = await sendPoll(body);
      expectError(r, 400, message);
    }
    expect(stack.emulator.outbound(phone)).toHaveLength(before);
    expectError(await sendPoll(ok, unlinked), 409, /not linked/);
  });
});
