/**
 * Groups (/api/connections/:id/groups…), answered by any replica: ownership, linked (409) and the group id
 * (400 `Invalid group id`) are checked here, then the holder runs the query.
 */
import { handle, type Broker, type CommandBinding } from '@wahooks/broker';
import {
  badRequest,
  CreateGroup,
  GetGroup,
  GetGroupInvite,
  groupJidOf,
  LeaveGroup,
  ListGroups,
  UpdateGroupParticipants,
} from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { askHolder, linkedConnection } from './linked-connection.js';

const groupJid = (groupId: string): string => {
  const jid = groupJidOf(groupId);
  if (!jid) throw badRequest('Invalid group id');
  return jid;
};
const userJids = (phones: string[]) => phones.map((p) => `${p}@s.whatsapp.net`);

export function groupsApi(deps: { sql: Sql; broker: Broker }): CommandBinding[] {
  const { sql, broker } = deps;
  const linked = (userId: string, connectionId: string) => linkedConnection(sql, userId, connectionId);
  return [
    handle(ListGroups, async ({ userId, connectionId }) => {
      const row = await linked(userId, connectionId);
      return askHolder(broker, row.id, 'groupList', {}, 30_000);
    }),

    handle(GetGroup, async ({ userId, connectionId, groupId }) => {
      const jid = groupJid(groupId);
      const row = await linked(userId, connectionId);
      return askHolder(broker, row.id, 'groupGet', { groupJid: jid });
    }),

    handle(CreateGroup, async ({ userId, connectionId, subject, participants }) => {
      const row = await linked(userId, connectionId);
      return askHolder(broker, row.id, 'groupCreate', { subject, participants: userJids(participants) });
    }),

    handle(UpdateGroupParticipants, async ({ userId, connectionId, groupId, action, participants }) => {
      const jid = groupJid(groupId);
      const row = await linked(userId, connectionId);
      return askHolder(broker, row.id, 'groupParticipants', {
        groupJid: jid,
        action,
        participants: userJids(participants),
      });
    }),

    handle(GetGroupInvite, async ({ userId, connectionId, groupId, revoke }) => {
      const jid = groupJid(groupId);
      const row = await linked(userId, connectionId);
      return askHolder(broker, row.id, 'groupInvite', { groupJid: jid, revoke });
    }),

    handle(LeaveGroup, async ({ userId, connectionId, groupId }) => {
      const jid = groupJid(groupId);
      const row = await linked(userId, connectionId);
      return askHolder(broker, row.id, 'groupLeave', { groupJid: jid });
    }),
  ];
}
