/**
 * The client's group administration queries (`iq xmlns=w:g2`), checked as WhatsApp checks them: the right target
 * (`@g.us` for create/leave/participating, the group jid otherwise), well-formed participant jids, a `key` and a
 * subject of at most 100 characters on create, and admin rights for member changes and invite links. A malformed
 * query gets `<error code=400 text=bad-request>`, a forbidden one 403, an unknown group 404 (item-not-found).
 */
import {
  getBinaryNodeChild,
  getBinaryNodeChildren,
  jidDecode,
  S_WHATSAPP_NET,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { Group } from '../accounts.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import {
  changeParticipants,
  createGroupAs,
  groupNode,
  inviteCodeOf,
  isGroupAdmin,
  leaveGroup,
  MAX_SUBJECT,
  setDescription,
  setSubject,
  type ParticipantAction,
} from '../group-changes.js';
import { childrenOf, replyResult } from './reply.js';

const ACTIONS: ParticipantAction[] = ['add', 'remove', 'promote', 'demote'];

class QueryError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

const badRequest = (why: string) => new QueryError(400, `bad-request: ${why}`);

function replyError(connection: Connection, node: BinaryNode, error: QueryError): void {
  connection.sendNode({
    tag: 'iq',
    attrs: { from: node.attrs.to ?? S_WHATSAPP_NET, type: 'error', id: node.attrs.id! },
    content: [{ tag: 'error', attrs: { code: `${error.code}`, text: error.text } }],
  });
}

/** `<digits>@s.whatsapp.net` (no device) → the phone number; anything else is a malformed query. */
function phoneOfJid(ctx: ServerContext, jid: string | undefined): string {
  const decoded = jid ? jidDecode(jid) : undefined;
  if (decoded?.server === 'lid') {
    const phone = ctx.directory.accountForJid(jid!)?.phone ?? ctx.directory.contactForJid(jid!)?.peer.pnUser;
    if (phone) return phone;
  }
  if (!decoded || decoded.server !== 's.whatsapp.net' || decoded.device || !/^\d{5,20}$/.test(decoded.user))
    throw badRequest(`participant jid ${jid ?? '(missing)'} is not a user jid`);
  return decoded.user;
}

function participantsOf(ctx: ServerContext, child: BinaryNode): string[] {
  const nodes = getBinaryNodeChildren(child, 'participant');
  if (!nodes.length) throw badRequest(`<${child.tag}> lists no participant`);
  return nodes.map((p) => phoneOfJid(ctx, p.attrs.jid));
}

function memberGroup(ctx: ServerContext, jid: string | undefined, phone: string): Group {
  const group = jid ? ctx.directory.group(jid) : undefined;
  if (!group || !group.participants.includes(phone)) throw new QueryError(404, 'item-not-found');
  return group;
}

function requireAdmin(group: Group, phone: string): void {
  if (!isGroupAdmin(group, phone)) throw new QueryError(403, 'forbidden');
}

function subjectOf(value: unknown): string {
  const subject = (Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString() : value) as
    string | undefined;
  if (typeof subject !== 'string' || !subject.trim()) throw badRequest('subject is empty');
  if ([...subject].length > MAX_SUBJECT) throw badRequest(`subject is longer than ${MAX_SUBJECT} characters`);
  return subject;
}

/**
 * Handles every `w:g2` query except the metadata `<query>` (stanzas/groups.ts); false when it is not one of these.
 */
export function handleGroupAdminIq(ctx: ServerContext, connection: Connection, node: BinaryNode): boolean {
  const child = childrenOf(node)[0];
  const account = connection.account;
  if (!child || !account || child.tag === 'query') return false;
  try {
    const result = answer(ctx, account.phone, node, child);
    if (result === undefined) return false;
    replyResult(connection, node, result.length ? result : undefined);
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    replyError(connection, node, error);
  }
  return true;
}

function answer(ctx: ServerContext, me: string, node: BinaryNode, child: BinaryNode): BinaryNode[] | undefined {
  const { type, to } = node.attrs;
  const onServer = to === '@g.us';
  if (type === 'get' && child.tag === 'participating') {
    if (!onServer) throw badRequest('participating is asked of @g.us');
    return [{ tag: 'groups', attrs: {}, content: ctx.directory.groupsOf(me).map((g) => groupNode(ctx, g)) }];
  }
  if (type === 'set' && child.tag === 'create') {
    if (!onServer) throw badRequest('create is sent to @g.us');
    if (!child.attrs.key) throw badRequest('create has no key');
    const subject = subjectOf(child.attrs.subject);
    const members = getBinaryNodeChildren(child, 'participant').map((p) => phoneOfJid(ctx, p.attrs.jid));
    // numbers not on WhatsApp are left out (the answer lists the members the group has)
    const { group } = createGroupAs(ctx, me, subject, members);
    return [groupNode(ctx, group)];
  }
  if (type === 'set' && child.tag === 'leave') {
    if (!onServer) throw badRequest('leave is sent to @g.us');
    const groups = getBinaryNodeChildren(child, 'group');
    if (!groups.length) throw badRequest('leave names no group');
    for (const g of groups) leaveGroup(ctx, memberGroup(ctx, g.attrs.id, me), me);
    return [{ tag: 'leave', attrs: {}, content: groups.map((g) => ({ tag: 'group', attrs: { id: g.attrs.id! } })) }];
  }
  if (onServer) return undefined;
  if (jidDecode(to)?.server !== 'g.us') throw badRequest(`${to ?? '(no target)'} is not a group jid`);

  if (type === 'set' && ACTIONS.includes(child.tag as ParticipantAction)) {
    const group = memberGroup(ctx, to, me);
    requireAdmin(group, me);
    const results = changeParticipants(ctx, group, me, child.tag as ParticipantAction, participantsOf(ctx, child));
    return [
      {
        tag: child.tag,
        attrs: {},
        content: results.map(({ phone, code }) => ({
          tag: 'participant',
          attrs: { jid: ctx.directory.memberJids(phone).pn, ...(code !== 200 ? { error: `${code}` } : {}) },
        })),
      },
    ];
  }
  if (child.tag === 'invite' && !child.attrs.code) {
    const group = memberGroup(ctx, to, me);
    requireAdmin(group, me);
    return [{ tag: 'invite', attrs: { code: inviteCodeOf(group, type === 'set') } }];
  }
  if (type === 'set' && child.tag === 'subject') {
    const group = memberGroup(ctx, to, me);
    setSubject(ctx, group, me, subjectOf(child.content));
    return [];
  }
  if (type === 'set' && child.tag === 'description') {
    const group = memberGroup(ctx, to, me);
    const body = getBinaryNodeChild(child, 'body')?.content;
    setDescription(
      ctx,
      group,
      me,
      child.attrs.delete === 'true' || !body ? null : Buffer.from(body as Uint8Array).toString(),
    );
    return [];
  }
  return undefined;
}
