/**
 * Groups (docs/api.md): list, read, create, members, invite link, leave. Thin forwards to the connection service,
 * which checks ownership and that the connection is linked (409) and has the replica holding the session run
 * WhatsApp's group queries. WhatsApp refusals: 404 unknown group (or not a member), 403 not an admin.
 */
import { z } from 'zod';
import {
  CreateGroup,
  CreateGroupBody,
  GetGroup,
  GetGroupInvite,
  GroupInvite,
  GroupParticipantActions,
  GroupParticipantResult,
  GroupParticipantsBody,
  GroupView,
  LeaveGroup,
  ListGroups,
  Success,
  UpdateGroupParticipants,
} from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

const tag = 'groups';
const connectionId = z.string().meta({ description: 'The connection id (uuid)' });
const idParams = z.object({ id: connectionId });
const groupParams = z.object({
  id: connectionId,
  groupId: z.string().meta({ description: 'The group: `<id>@g.us` (as in events and the group list) or the bare id' }),
});
const errors = [403, 404, 409, 503];
const summaries: Record<(typeof GroupParticipantActions)[number], string> = {
  add: 'Add members (admins only); one WhatsApp status per member',
  remove: 'Remove members (admins only)',
  promote: 'Make members admins (admins only)',
  demote: 'Take admin rights away (admins only)',
};

export const groupRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/groups',
    auth: true,
    tag,
    summary: 'The groups the linked number is a member of, with their participants',
    params: idParams,
    response: z.array(GroupView),
    errors,
    handler: ({ broker, user, params }) =>
      broker.request(ListGroups, { userId: user.id, connectionId: params.id }, { timeoutMs: 35_000 }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/groups',
    auth: true,
    tag,
    summary: 'Create a group; the linked number is its superadmin',
    params: idParams,
    body: CreateGroupBody,
    bodyLimit: '64kb',
    response: GroupView,
    errors,
    handler: ({ broker, user, params, body }) =>
      broker.request(
        CreateGroup,
        { userId: user.id, connectionId: params.id, subject: body.subject, participants: body.participants },
        { timeoutMs: 20_000 },
      ),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/groups/:groupId',
    auth: true,
    tag,
    summary: 'One group: subject, description, participants with their admin flags',
    params: groupParams,
    response: GroupView,
    errors,
    handler: ({ broker, user, params }) =>
      broker.request(
        GetGroup,
        { userId: user.id, connectionId: params.id, groupId: params.groupId },
        { timeoutMs: 20_000 },
      ),
  }),
  ...GroupParticipantActions.map((action) =>
    defineRoute({
      method: 'post',
      path: `/api/connections/:id/groups/:groupId/participants/${action}`,
      auth: true,
      tag,
      summary: summaries[action],
      description:
        'Answers one status per member, as WhatsApp gave it: 200 done, 403 not allowed (e.g. their privacy settings), 404 not on WhatsApp or not a member, 409 already a member.',
      params: groupParams,
      body: GroupParticipantsBody,
      bodyLimit: '64kb',
      status: 200,
      response: z.array(GroupParticipantResult),
      errors,
      handler: ({ broker, user, params, body }) =>
        broker.request(
          UpdateGroupParticipants,
          {
            userId: user.id,
            connectionId: params.id,
            groupId: params.groupId,
            action,
            participants: body.participants,
          },
          { timeoutMs: 20_000 },
        ),
    }),
  ),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/groups/:groupId/invite',
    auth: true,
    tag,
    summary: 'The invite link of the group (admins only)',
    params: groupParams,
    response: GroupInvite,
    errors,
    handler: ({ broker, user, params }) =>
      broker.request(GetGroupInvite, {
        userId: user.id,
        connectionId: params.id,
        groupId: params.groupId,
        revoke: false,
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/groups/:groupId/invite/revoke',
    auth: true,
    tag,
    summary: 'Revoke the invite link (the old one stops working) and answer the new one (admins only)',
    params: groupParams,
    status: 200,
    response: GroupInvite,
    errors,
    handler: ({ broker, user, params }) =>
      broker.request(GetGroupInvite, {
        userId: user.id,
        connectionId: params.id,
        groupId: params.groupId,
        revoke: true,
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/groups/:groupId/leave',
    auth: true,
    tag,
    summary: 'The linked number leaves the group',
    params: groupParams,
    status: 200,
    response: Success,
    errors,
    handler: ({ broker, user, params }) =>
      broker.request(LeaveGroup, { userId: user.id, connectionId: params.id, groupId: params.groupId }),
  }),
];
