/**
 * Group events as WAHA names and shapes them (docs/events.md): `group.v2.join` when this number joins or is
 * added to a group (Baileys `groups.upsert`, from WhatsApp's `create` notification, with the whole group),
 * `group.v2.participants` and `group.v2.leave` for member changes, `group.v2.update` for subject, description and
 * settings. Member changes and updates are read from the stub messages Baileys upserts for each `w:gp2`
 * notification (one per notification, with its id: the dedupe key), not from `group-participants.update` /
 * `groups.update`: the latter are also emitted by `groupFetchAllParticipating` and Baileys' event buffer keeps
 * only the first update of a group per flush. Pure, like the other mappers.
 */
import { proto, toNumber, type BaileysEventMap, type GroupMetadata, type WAMessage } from '@whiskeysockets/baileys';
import { inviteUrl } from '@wahooks/contracts';
import { preferPn, toChatId } from './jids.js';
import { toJsonSafe } from './json-safe.js';
import type { MappedEvent } from './map-baileys-events.js';
import type { MapContext } from './message-payload.js';

const Stub = proto.WebMessageInfo.StubType;

/** WAHA's participant roles; `left` for members that left or were removed. */
export type WahaGroupRole = 'left' | 'participant' | 'admin' | 'superadmin';

export interface WahaGroupParticipant {
  id: string; // `<digits>@c.us`, or `<id>@lid` when WhatsApp gave no number
  pn: string | null; // `<digits>@c.us` when known
  role: WahaGroupRole;
}

interface BaileysParticipant {
  id?: string;
  phoneNumber?: string;
  lid?: string;
  admin?: 'admin' | 'superadmin' | null;
}

function participant(p: BaileysParticipant, role?: WahaGroupRole): WahaGroupParticipant {
  const id = toChatId(preferPn(p.id, p.phoneNumber)) ?? p.id ?? '';
  const pn = id.endsWith('@c.us') ? id : toChatId(p.phoneNumber);
  return {
    id,
    pn,
    role: role ?? (p.admin === 'superadmin' ? 'superadmin' : p.admin === 'admin' ? 'admin' : 'participant'),
  };
}

/** WAHA's GroupInfo: the group as group.v2.join carries it (group.v2.update carries the changed fields). */
export function wahaGroupInfo(meta: Partial<GroupMetadata> & { inviteCode?: string }) {
  return {
    id: meta.id,
    subject: meta.subject,
    description: meta.desc ?? null,
    invite: meta.inviteCode ? inviteUrl(meta.inviteCode) : null,
    participants: meta.participants?.map((p) => participant(p)) ?? [],
    membersCanAddNewMember: Boolean(meta.memberAddMode),
    membersCanSendMessages: !meta.announce,
    newMembersApprovalRequired: Boolean(meta.joinApprovalMode),
  };
}

/** Seconds: payload timestamps are seconds (docs/events.md). */
const seconds = (msg: WAMessage, ctx: MapContext) =>
  toNumber(msg.messageTimestamp as number | null | undefined) || Math.floor(ctx.nowMs() / 1000);

const isMe = (p: WahaGroupParticipant, ctx: MapContext) =>
  Boolean(ctx.me && (p.id === ctx.me.id || p.pn === ctx.me.id));

const PARTICIPANT_STUBS = new Map<number, { type: 'join' | 'leave' | 'promote' | 'demote'; role: WahaGroupRole }>([
  [Stub.GROUP_PARTICIPANT_ADD, { type: 'join', role: 'participant' }],
  [Stub.GROUP_PARTICIPANT_INVITE, { type: 'join', role: 'participant' }],
  [Stub.GROUP_PARTICIPANT_ADD_REQUEST_JOIN, { type: 'join', role: 'participant' }],
  [Stub.GROUP_PARTICIPANT_REMOVE, { type: 'leave', role: 'left' }],
  [Stub.GROUP_PARTICIPANT_LEAVE, { type: 'leave', role: 'left' }],
  [Stub.GROUP_PARTICIPANT_PROMOTE, { type: 'promote', role: 'admin' }],
  [Stub.GROUP_PARTICIPANT_DEMOTE, { type: 'demote', role: 'participant' }],
]);

const isOn = (value: string | undefined) => value === 'on' || value === 'true';

/** The changed group fields of each update stub (WAHA GroupInfo names), from its first parameter. */
const UPDATE_STUBS = new Map<number, (value: string | undefined) => Record<string, unknown>>([
  [Stub.GROUP_CHANGE_SUBJECT, (v) => ({ subject: v ?? '' })],
  [Stub.GROUP_CHANGE_DESCRIPTION, (v) => ({ description: v ?? null })],
  [Stub.GROUP_CHANGE_ANNOUNCE, (v) => ({ membersCanSendMessages: !isOn(v) })],
  [Stub.GROUP_CHANGE_RESTRICT, (v) => ({ infoAdminsOnly: isOn(v) })],
  [Stub.GROUP_CHANGE_INVITE_LINK, (v) => ({ invite: v ? inviteUrl(v) : null })],
  [Stub.GROUP_MEMBER_ADD_MODE, (v) => ({ membersCanAddNewMember: v === 'all_member_add' })],
  [Stub.GROUP_MEMBERSHIP_JOIN_APPROVAL_MODE, (v) => ({ newMembersApprovalRequired: v === 'on' })],
]);

function groupChange(msg: WAMessage): Record<string, unknown> | undefined {
  return UPDATE_STUBS.get(msg.messageStubType ?? -1)?.(msg.messageStubParameters?.[0]);
}

function parseParticipants(msg: WAMessage): BaileysParticipant[] {
  return (msg.messageStubParameters ?? []).flatMap((p: string) => {
    try {
      const parsed = JSON.parse(p) as BaileysParticipant | string;
      return [typeof parsed === 'string' ? { id: parsed } : parsed];
    } catch {
      return [{ id: p }]; // older Baileys versions put bare jids here
    }
  });
}

/** group.v2.participants / .leave / .update for the stub messages of one upsert. */
export function mapGroupStubs(upsert: BaileysEventMap['messages.upsert'], ctx: MapContext): MappedEvent[] {
  const out: MappedEvent[] = [];
  for (const msg of upsert.messages) {
    const groupId = msg.key?.remoteJid;
    if (!groupId?.endsWith('@g.us') || !msg.messageStubType || !msg.key.id) continue;
    const author = toChatId(preferPn(msg.key.participant, msg.key.participantAlt));
    const timestamp = seconds(msg, ctx);
    const kind = PARTICIPANT_STUBS.get(msg.messageStubType);
    if (kind) {
      const raw = parseParticipants(msg);
      const participants = raw.map((p) => participant(p, kind.role));
      const action = kind.type === 'join' ? 'add' : kind.type === 'leave' ? 'remove' : kind.type;
      const _data = toJsonSafe({ id: groupId, author, participants: raw, action });
      out.push({
        event: 'group.v2.participants',
        dedupeKey: `group.v2.participants:${msg.key.id}`,
        payload: { group: { id: groupId }, type: kind.type, timestamp, participants, _data },
      });
      if (kind.type === 'leave' && participants.some((p) => isMe(p, ctx)))
        out.push({
          event: 'group.v2.leave',
          dedupeKey: `group.v2.leave:${msg.key.id}`,
          payload: { group: { id: groupId }, timestamp, _data },
        });
      continue;
    }
    const change = groupChange(msg);
    if (change)
      out.push({
        event: 'group.v2.update',
        dedupeKey: `group.v2.update:${msg.key.id}`,
        payload: {
          group: { id: groupId, ...change },
          timestamp,
          _data: toJsonSafe({ id: groupId, author, ...change }),
        },
      });
  }
  return out;
}

/** group.v2.join: this number is in a group it was not in (created it, was added, or joined by link). */
export function mapGroupsUpsert(groups: BaileysEventMap['groups.upsert'], ctx: MapContext): MappedEvent[] {
  return groups.map((meta) => ({
    event: 'group.v2.join' as const,
    payload: { timestamp: Math.floor(ctx.nowMs() / 1000), group: wahaGroupInfo(meta), _data: toJsonSafe(meta) },
  }));
}

/** Every group event of one Baileys batch. */
export function mapGroupEvents(events: Partial<BaileysEventMap>, ctx: MapContext): MappedEvent[] {
  return [
    ...(events['groups.upsert'] ? mapGroupsUpsert(events['groups.upsert'], ctx) : []),
    ...(events['messages.upsert'] ? mapGroupStubs(events['messages.upsert'], ctx) : []),
  ];
}
