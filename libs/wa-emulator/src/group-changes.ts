/**
 * Group administration as the server does it: who may change what, the change itself, and the `w:gp2`
 * notification every linked member's client gets for it (Baileys turns those into `groups.upsert`,
 * `group-participants.update` and `groups.update`). Used by the client's own `iq w:g2 set` queries
 * (stanzas/group-admin.ts) and by the control API, where a contact (another member's phone) acts.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Group } from './accounts.js';
import type { ServerContext } from './context.js';
import { EmulatorInputError } from './errors.js';
import { newMessageId } from './stanzas/inbound.js';
import { nowSeconds } from './stanzas/reply.js';

export type GroupRole = 'superadmin' | 'admin' | 'participant';
export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

/** Per-member answer codes, as WhatsApp gives them in `<participant error=…>` (absent = 200). */
export const PARTICIPANT_ERRORS = { notAllowed: 403, notOnWhatsApp: 404, alreadyMember: 409 } as const;

export function roleOf(group: Group, phone: string): GroupRole | undefined {
  if (!group.participants.includes(phone)) return undefined;
  if (phone === group.creator) return 'superadmin';
  return group.admins?.includes(phone) ? 'admin' : 'participant';
}

export const isGroupAdmin = (group: Group, phone: string): boolean => {
  const role = roleOf(group, phone);
  return role === 'admin' || role === 'superadmin';
};

/** The `<group>` node of metadata answers, `participating` lists and `create` notifications. */
export function groupNode(ctx: ServerContext, group: Group): BinaryNode {
  const creator = ctx.directory.memberJids(group.creator);
  const content: BinaryNode[] = group.participants.map((phone) => {
    const { pn, lid } = ctx.directory.memberJids(phone);
    const role = roleOf(group, phone);
    return { tag: 'participant', attrs: { jid: pn, lid, ...(role !== 'participant' ? { type: role! } : {}) } };
  });
  if (group.description) {
    content.push({
      tag: 'description',
      attrs: { id: group.descriptionId ?? newMessageId(), participant: creator.pn, t: `${group.creation}` },
      content: [{ tag: 'body', attrs: {}, content: Buffer.from(group.description) }],
    });
  }
  return {
    tag: 'group',
    attrs: {
      id: group.id,
      subject: group.subject,
      s_t: `${group.creation}`,
      s_o: creator.pn,
      creation: `${group.creation}`,
      creator: creator.pn,
      size: `${group.participants.length}`,
    },
    content,
  };
}

/** A new group id as WhatsApp hands them out today: `120363` and 12 more digits. */
export const newGroupId = (): string => `120363${randomInt(1e11, 1e12)}`;

/** WhatsApp invite codes are 22 URL-safe characters. */
export const newInviteCode = (): string => randomBytes(16).toString('base64url').slice(0, 22);

/**
 * Sends one `w:gp2` notification (`child` built per receiving member) to every linked account among `members`,
 * queued while it is offline and redelivered until acked, as the server does.
 */
export function notifyMembers(
  ctx: ServerContext,
  group: Group,
  actor: string,
  members: string[],
  child: (member: string) => BinaryNode,
): void {
  const actorJids = ctx.directory.memberJids(actor);
  for (const member of new Set(members)) {
    const account = ctx.directory.account(member);
    if (!account || account.loggedOut) continue;
    const id = `${randomInt(1e9, 1e10 - 1)}`;
    const node: BinaryNode = {
      tag: 'notification',
      attrs: {
        from: group.jid,
        type: 'w:gp2',
        id,
        participant: actorJids.pn,
        participant_lid: actorJids.lid,
        t: `${nowSeconds()}`,
      },
      content: [child(member)],
    };
    ctx.deliver(account, async (connection) => connection.sendNode(node), id);
  }
}

const participantNodes = (ctx: ServerContext, phones: string[]): BinaryNode[] =>
  phones.map((phone) => {
    const { pn, lid } = ctx.directory.memberJids(phone);
    return { tag: 'participant', attrs: { jid: pn, lid } };
  });

/** A member that joins gets the whole group (`create`); the others see who was added. */
function notifyJoined(ctx: ServerContext, group: Group, actor: string, joined: string[]): void {
  notifyMembers(ctx, group, actor, group.participants, (member): BinaryNode =>
    joined.includes(member)
      ? { tag: 'create', attrs: { reason: 'invite' }, content: [groupNode(ctx, group)] }
      : { tag: 'add', attrs: {}, content: participantNodes(ctx, joined) },
  );
}

/** A new group by `creator` (a linked account or a contact) with these members; every linked member is told. */
export function createGroupAs(
  ctx: ServerContext,
  creator: string,
  subject: string,
  members: string[],
): { group: Group; refused: string[] } {
  const refused = members.filter((m) => !isOnWhatsApp(ctx, m));
  const accepted = members.filter((m) => m !== creator && !refused.includes(m));
  const group = ctx.directory.ensureGroup(`${newGroupId()}@g.us`, creator, accepted, subject);
  notifyJoined(ctx, group, creator, group.participants);
  return { group, refused };
}

/**
 * `actor` adds/removes/promotes/demotes `phones` (admins only). Returns the per-member code (200 = done) and tells
 * every linked member (the removed ones included) what changed.
 */
export function changeParticipants(
  ctx: ServerContext,
  group: Group,
  actor: string,
  action: ParticipantAction,
  phones: string[],
): { phone: string; code: number }[] {
  const results = phones.map((phone) => ({ phone, code: participantCode(ctx, group, action, phone) }));
  const done = results.filter((r) => r.code === 200).map((r) => r.phone);
  if (!done.length) return results;
  const before = [...group.participants];
  group.admins ??= [];
  for (const phone of done) {
    if (action === 'add') group.participants.push(phone);
    if (action === 'remove') {
      group.participants = group.participants.filter((p) => p !== phone);
      group.admins = group.admins.filter((p) => p !== phone);
    }
    if (action === 'promote' && !group.admins.includes(phone)) group.admins.push(phone);
    if (action === 'demote') group.admins = group.admins.filter((p) => p !== phone);
  }
  if (action === 'add') notifyJoined(ctx, group, actor, done);
  else
    notifyMembers(ctx, group, actor, action === 'remove' ? before : group.participants, () => ({
      tag: action,
      attrs: {},
      content: participantNodes(ctx, done),
    }));
  return results;
}

function participantCode(ctx: ServerContext, group: Group, action: ParticipantAction, phone: string): number {
  const member = group.participants.includes(phone);
  if (action === 'add') {
    if (member) return PARTICIPANT_ERRORS.alreadyMember;
    return isOnWhatsApp(ctx, phone) ? 200 : PARTICIPANT_ERRORS.notOnWhatsApp;
  }
  if (!member) return PARTICIPANT_ERRORS.notOnWhatsApp;
  // the creator (superadmin) cannot be removed or demoted by another admin
  if (phone === group.creator && (action === 'remove' || action === 'demote')) return PARTICIPANT_ERRORS.notAllowed;
  return 200;
}

/** `phone` leaves: the others (and the leaver's own devices) see a `remove` of the leaver by the leaver. */
export function leaveGroup(ctx: ServerContext, group: Group, phone: string): void {
  const before = [...group.participants];
  group.participants = group.participants.filter((p) => p !== phone);
  group.admins = (group.admins ?? []).filter((p) => p !== phone);
  notifyMembers(ctx, group, phone, before, () => ({
    tag: 'remove',
    attrs: { reason: 'leave' },
    content: participantNodes(ctx, [phone]),
  }));
}

export function setSubject(ctx: ServerContext, group: Group, actor: string, subject: string): void {
  group.subject = subject;
  const actorPn = ctx.directory.memberJids(actor).pn;
  notifyMembers(ctx, group, actor, group.participants, () => ({
    tag: 'subject',
    attrs: { subject, s_o: actorPn, s_t: `${nowSeconds()}` },
  }));
}

export function setDescription(ctx: ServerContext, group: Group, actor: string, description: string | null): void {
  group.description = description ?? undefined;
  group.descriptionId = description ? newMessageId() : undefined;
  notifyMembers(ctx, group, actor, group.participants, (): BinaryNode =>
    description
      ? {
          tag: 'description',
          attrs: { id: group.descriptionId! },
          content: [{ tag: 'body', attrs: {}, content: Buffer.from(description) }],
        }
      : { tag: 'description', attrs: { delete: 'true' } },
  );
}

/** The group's invite code, created on first use; `revoke` replaces it (the old link stops working). */
export function inviteCodeOf(group: Group, revoke: boolean): string {
  if (revoke || !group.inviteCode) group.inviteCode = newInviteCode();
  return group.inviteCode;
}

/** Every number is on WhatsApp unless the test said otherwise (`Emulator.setOnWhatsApp`). */
export function isOnWhatsApp(ctx: ServerContext, phone: string): boolean {
  return !ctx.directory.notOnWhatsApp.has(phone);
}

export const MAX_SUBJECT = 100;

/** The group of a control request (`<id>@g.us` or `<id>`), or a 400. */
export function requireGroup(ctx: ServerContext, value: unknown): Group {
  if (typeof value !== 'string' || !value) throw new EmulatorInputError('group is required');
  const jid = value.endsWith('@g.us') ? value : `${value}@g.us`;
  const group = ctx.directory.group(jid);
  if (!group) throw new EmulatorInputError(`no group ${jid}`);
  return group;
}
