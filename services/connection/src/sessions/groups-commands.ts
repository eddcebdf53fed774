/**
 * Group administration on the held session (contracts commands/groups.ts): Baileys' `w:g2` queries, their
 * answers in the API's shape (people as `<digits>@c.us`), and WhatsApp's refusals as 404/403/400. The events
 * these changes cause (group.v2.*) come back through the socket like any other (events/map-group-events.ts).
 */
import type { GroupMetadata, GroupParticipant } from '@whiskeysockets/baileys';
import { handle, type CommandBinding } from '@wahooks/broker';
import {
  inviteUrl,
  SessionGroupCreate,
  SessionGroupGet,
  SessionGroupInvite,
  SessionGroupLeave,
  SessionGroupList,
  SessionGroupParticipants,
  type GroupParticipantView,
  type GroupView,
} from '@wahooks/contracts';
import { preferPn, toChatId } from '../events/index.js';
import { heldSession, linkedSocket, whatsappFailure, type SessionLookup } from './held-socket.js';

const refusals = {
  notFound: 'Group not found (or this number is not a member)',
  forbidden: 'Only group admins can do this',
};

export function participantView(p: GroupParticipant): GroupParticipantView {
  const role = p.admin === 'superadmin' ? 'superadmin' : p.admin === 'admin' ? 'admin' : 'participant';
  return {
    id: toChatId(preferPn(p.id, p.phoneNumber)) ?? p.id,
    role,
    isAdmin: role !== 'participant',
    isSuperAdmin: role === 'superadmin',
  };
}

export function groupView(meta: GroupMetadata): GroupView {
  return {
    id: meta.id,
    subject: meta.subject ?? '',
    description: meta.desc ?? null,
    owner: toChatId(preferPn(meta.owner, meta.ownerPn)),
    creation: meta.creation ?? 0,
    size: meta.size ?? meta.participants.length,
    announce: Boolean(meta.announce),
    restrict: Boolean(meta.restrict),
    participants: meta.participants.map(participantView),
  };
}

export function groupsCommands(lookup: SessionLookup): CommandBinding[] {
  /** Runs one query on the linked socket, WhatsApp's refusals mapped. */
  const query = async <T>(connectionId: string, run: (sock: ReturnType<typeof linkedSocket>) => Promise<T>) => {
    const sock = linkedSocket(heldSession(lookup, connectionId));
    try {
      return await run(sock);
    } catch (err) {
      throw whatsappFailure(err, refusals);
    }
  };

  return [
    handle(SessionGroupList, ({ connectionId }) =>
      query(connectionId, async (sock) => Object.values(await sock.groupFetchAllParticipating()).map(groupView)),
    ),

    handle(SessionGroupGet, ({ connectionId, groupJid }) =>
      query(connectionId, async (sock) => groupView(await sock.groupMetadata(groupJid))),
    ),

    handle(SessionGroupCreate, ({ connectionId, subject, participants }) =>
      query(connectionId, async (sock) => groupView(await sock.groupCreate(subject, participants))),
    ),

    handle(SessionGroupParticipants, ({ connectionId, groupJid, action, participants }) =>
      query(connectionId, async (sock) => {
        const results = await sock.groupParticipantsUpdate(groupJid, participants, action);
        return results.map((r) => ({ id: toChatId(r.jid) ?? r.jid ?? '', status: Number(r.status) || 500 }));
      }),
    ),

    handle(SessionGroupInvite, ({ connectionId, groupJid, revoke }) =>
      query(connectionId, async (sock) => {
        const code = revoke ? await sock.groupRevokeInvite(groupJid) : await sock.groupInviteCode(groupJid);
        if (!code) throw new Error('no invite code in the answer');
        return { code, url: inviteUrl(code) };
      }),
    ),

    handle(SessionGroupLeave, ({ connectionId, groupJid }) =>
      query(connectionId, async (sock) => {
        await sock.groupLeave(groupJid);
        return { success: true as const };
      }),
    ),
  ];
}
