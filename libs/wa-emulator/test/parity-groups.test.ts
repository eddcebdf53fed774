/**
 * Group administration and number checks with the real Baileys client: what it sends is what the emulated server
 * accepts (and refuses what WhatsApp refuses), the server's group state follows, and every linked member's client
 * gets the `w:gp2` notifications Baileys turns into group events.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BaileysEventMap, GroupMetadata } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { pairClient, waitFor, type TestClient } from './support/client.js';

const ALICE = '4915700000021';
const BOB = '4915700000022';
const CAROL = '4915700000023';
const NOBODY = '4915700000029'; // not on WhatsApp
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

type Captured = { name: string; data: any }[];

function capture(client: TestClient): Captured {
  const seen: Captured = [];
  for (const name of ['groups.upsert', 'groups.update', 'group-participants.update'] as (keyof BaileysEventMap)[])
    client.sock.ev.on(name, (data: unknown) => seen.push({ name, data }));
  return seen;
}

describe('group administration (iq w:g2) and w:gp2 notifications', () => {
  let emulator: Emulator;
  let me: { client: TestClient; phone: string };
  let other: { client: TestClient; phone: string }; // a second linked account, member of the same groups
  let mine: Captured;
  let theirs: Captured;
  let group: GroupMetadata;

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none' });
    trustServerRootKey(emulator.rootPublicKey);
    me = await pairClient(emulator);
    other = await pairClient(emulator);
    mine = capture(me.client);
    theirs = capture(other.client);
    emulator.setOnWhatsApp({ phone: NOBODY, onWhatsApp: false });
  }, 60_000);
  afterAll(async () => {
    me?.client.end();
    other?.client.end();
    await emulator.close();
  });

  it('creates a group: the creator is superadmin, numbers not on WhatsApp are refused, members are told', async () => {
    group = await me.client.sock.groupCreate('Team', [jid(ALICE), jid(other.phone), jid(NOBODY)]);
    expect(group).toMatchObject({ subject: 'Team', owner: jid(me.phone) });
    expect(group.id).toMatch(/^120363\d{12}@g\.us$/);
    const info = emulator.groupInfo(group.id);
    expect(info.participants).toEqual([
      { phone: me.phone, role: 'superadmin' },
      { phone: ALICE, role: 'participant' },
      { phone: other.phone, role: 'participant' },
    ]);
    // both linked members get the whole group (a `create` notification → groups.upsert)
    for (const seen of [mine, theirs]) {
      const upsert = await waitFor(() => seen.find((e) => e.name === 'groups.upsert'), 'groups.upsert');
      expect(upsert.data[0]).toMatchObject({ id: group.id, subject: 'Team' });
    }
    const all = await me.client.sock.groupFetchAllParticipating();
    expect(all[group.id]?.participants.map((p) => p.id).sort()).toEqual([me.phone, ALICE, other.phone].map(jid).sort());
  });

  it('adds, promotes, demotes and removes, with one code per member and notifications to every linked member', async () => {
    const added = await me.client.sock.groupParticipantsUpdate(group.id, [jid(BOB), jid(ALICE), jid(NOBODY)], 'add');
    expect(added.map((r) => [r.jid, r.status])).toEqual([
      [jid(BOB), '200'],
      [jid(ALICE), '409'],
      [jid(NOBODY), '404'],
    ]);
    const promoted = await me.client.sock.groupParticipantsUpdate(group.id, [jid(other.phone)], 'promote');
    expect(promoted[0]!.status).toBe('200');
    expect(emulator.groupInfo(group.id).participants).toContainEqual({ phone: other.phone, role: 'admin' });
    await me.client.sock.groupParticipantsUpdate(group.id, [jid(other.phone)], 'demote');
    await me.client.sock.groupParticipantsUpdate(group.id, [jid(BOB)], 'remove');
    expect(emulator.groupInfo(group.id).participants.map((p) => p.phone)).not.toContain(BOB);

    const actions = (seen: Captured) =>
      seen.filter((e) => e.name === 'group-participants.update').map((e) => e.data.action as string);
    await waitFor(() => actions(theirs).length >= 4, 'four participant updates');
    expect(actions(theirs)).toEqual(['add', 'promote', 'demote', 'remove']);
    const [add] = theirs.filter((e) => e.name === 'group-participants.update');
    expect(add!.data).toMatchObject({ id: group.id, author: jid(me.phone) });
    expect(add!.data.participants.map((p: { id: string }) => p.id)).toEqual([jid(BOB)]);
  });

  it('gets and revokes the invite code', async () => {
    const code = await me.client.sock.groupInviteCode(group.id);
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await me.client.sock.groupInviteCode(group.id)).toBe(code);
    const fresh = await me.client.sock.groupRevokeInvite(group.id);
    expect(fresh).not.toBe(code);
    expect(emulator.groupInfo(group.id).inviteCode).toBe(fresh);
  });

  it('refuses what WhatsApp refuses: member changes by a non-admin, unknown groups, malformed queries', async () => {
    await expect(other.client.sock.groupParticipantsUpdate(group.id, [jid(CAROL)], 'add')).rejects.toMatchObject({
      message: 'forbidden',
      data: 403,
    });
    await expect(other.client.sock.groupInviteCode(group.id)).rejects.toMatchObject({ data: 403 });
    await expect(me.client.sock.groupMetadata('120363999999999999@g.us')).rejects.toMatchObject({ data: 404 });
    await expect(
      me.client.sock.groupParticipantsUpdate(group.id, ['not-a-jid@s.whatsapp.net'], 'add'),
    ).rejects.toMatchObject({ data: 400 });
    await expect(me.client.sock.groupCreate('x'.repeat(101), [jid(ALICE)])).rejects.toMatchObject({ data: 400 });
    expect(emulator.groupInfo(group.id).participants.map((p) => p.phone)).not.toContain(CAROL);
  });

  it('a contact admin changes the group: the subject, the description, and removes a linked member', async () => {
    emulator.groupAction({ group: group.id, actor: me.phone, action: 'promote', participants: [ALICE] });
    const updates = () => theirs.filter((e) => e.name === 'groups.update').map((e) => e.data[0]);
    // one at a time: Baileys' event buffer keeps only the first groups.update of a group per flush (rc14)
    emulator.groupAction({ group: group.id, actor: ALICE, action: 'subject', subject: 'Team 2' });
    await waitFor(() => updates().length >= 1, 'the subject update');
    emulator.groupAction({ group: group.id, actor: ALICE, action: 'description', description: 'our team' });
    await waitFor(() => updates().length >= 2, 'the description update');
    expect(updates()).toEqual([
      expect.objectContaining({ id: group.id, subject: 'Team 2', author: jid(ALICE) }),
      expect.objectContaining({ id: group.id, desc: 'our team', author: jid(ALICE) }),
    ]);
    expect((await me.client.sock.groupMetadata(group.id)).desc).toBe('our team');

    expect(() => emulator.groupAction({ group: group.id, actor: BOB, action: 'subject', subject: 'x' })).toThrow(
      /not a member/,
    );
    emulator.groupAction({ group: group.id, actor: ALICE, action: 'remove', participants: [other.phone] });
    const removed = await waitFor(
      () =>
        theirs.find(
          (e) =>
            e.name === 'group-participants.update' &&
            e.data.action === 'remove' &&
            e.data.participants.some((p: { id: string }) => p.id === jid(other.phone)),
        ),
      'the removal of the other linked account',
    );
    expect(removed.data.author).toBe(jid(ALICE));
  });

  it('leaves a group: the server forgets the member and the others see the leave', async () => {
    const before = mine.filter((e) => e.name === 'group-participants.update').length;
    await me.client.sock.groupLeave(group.id);
    expect(emulator.groupInfo(group.id).participants.map((p) => p.phone)).not.toContain(me.phone);
    const left = await waitFor(
      () => mine.filter((e) => e.name === 'group-participants.update').slice(before)[0],
      'own leave notification',
    );
    expect(left.data).toMatchObject({ id: group.id, action: 'remove', author: jid(me.phone) });
    await expect(me.client.sock.groupMetadata(group.id)).rejects.toMatchObject({ data: 404 });
  });
});

describe('number checks (usync contact)', () => {
  let emulator: Emulator;
  let client: TestClient;

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none' });
    trustServerRootKey(emulator.rootPublicKey);
    ({ client } = await pairClient(emulator));
  }, 60_000);
  afterAll(async () => {
    client?.end();
    await emulator.close();
  });

  it('answers exists for registered numbers only, and sees the numbers as the client asked (+digits)', async () => {
    emulator.setOnWhatsApp({ phone: NOBODY, onWhatsApp: false });
    const found = await client.sock.onWhatsApp(ALICE, `+${NOBODY}`, BOB);
    expect(found).toEqual([
      { jid: jid(ALICE), exists: true },
      { jid: jid(BOB), exists: true },
    ]);
    expect(emulator.numberChecks()).toEqual([`+${ALICE}`, `+${NOBODY}`, `+${BOB}`]);
    emulator.setOnWhatsApp({ phone: NOBODY, onWhatsApp: true });
    expect(await client.sock.onWhatsApp(NOBODY)).toEqual([{ jid: jid(NOBODY), exists: true }]);
    expect(() => emulator.setOnWhatsApp({ phone: 'abc', onWhatsApp: false })).toThrow(/phone must be/);
  });
});
