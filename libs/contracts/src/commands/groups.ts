/**
 * Groups (docs/api.md, "Groups"): list the groups of a connection, read one, create one, add / remove / promote /
 * demote participants, get and revoke the invite link, leave. The HTTP bodies (validated by the gateway), the
 * connection-level commands any connection replica answers (ownership, linked, then the holder), and the
 * session-owned commands the replica holding the socket runs (`w:g2` queries). Ids over HTTP are WAHA's:
 * groups `<id>@g.us`, people `<digits>@c.us`.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';
import { phoneDigits } from './contacts.js';
import { Jid } from './session-send.js';

/** `<id>@g.us`, `<digits>-<digits>@g.us` (older groups), or the bare id. */
export const GROUP_ID_PATTERN = /^(\d{5,30}(?:-\d{5,20})?)(?:@g\.us)?$/;

/** The group jid of a path id, or null when it is not a group id. */
export function groupJidOf(value: string): string | null {
  const match = GROUP_ID_PATTERN.exec(value.trim());
  return match ? `${match[1]}@g.us` : null;
}

/** WhatsApp's limits (characters): subjects 100. */
export const MAX_GROUP_SUBJECT = 100;
/** Participants per call (WhatsApp allows about 1024 members; one change of more is split by callers). */
export const MAX_GROUP_PARTICIPANTS = 50;

const PARTICIPANT_FORMAT = 'must be phone numbers with their country codes, or chat ids like 15551234567@c.us';

/** A participant as given: `+1 555…`, `15551234567`, `15551234567@c.us`, `…@s.whatsapp.net`, or WAHA's `{id}`. */
function participantDigits(value: unknown): string | null {
  const raw = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : value;
  if (typeof raw !== 'string') return null;
  const user = /^(\d+)@(?:c\.us|s\.whatsapp\.net)$/.exec(raw.trim());
  return user ? phoneDigits(user[1]!) : phoneDigits(raw);
}

const participantsField = (min: number) =>
  z
    .array(z.union([z.string(), z.object({ id: z.string() })]), {
      error: (issue) =>
        issue.input === undefined
          ? 'participants is required'
          : `participants must be an array of phone numbers or chat ids (at most ${MAX_GROUP_PARTICIPANTS})`,
    })
    .min(min, `participants must hold at least ${min} phone number`)
    .max(MAX_GROUP_PARTICIPANTS, `participants must hold at most ${MAX_GROUP_PARTICIPANTS} phone numbers`)
    .describe(
      `Phone numbers (with country code) or chat ids (\`<digits>@c.us\`), or WAHA's \`{"id": "<digits>@c.us"}\`; at most ${MAX_GROUP_PARTICIPANTS}.`,
    )
    .transform((list, ctx) => {
      const digits = list.map(participantDigits);
      const bad = digits.flatMap((d, i) => (d ? [] : [i]));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `participants[${bad.join(', ')}] ${PARTICIPANT_FORMAT}` });
        return z.NEVER;
      }
      return [...new Set(digits as string[])];
    });

/** POST /api/connections/:id/groups */
export const CreateGroupBody = z
  .object({
    subject: z
      .string({ error: 'subject must be a string' })
      .max(MAX_GROUP_SUBJECT, `subject must be at most ${MAX_GROUP_SUBJECT} characters`)
      .optional()
      .describe(`The group's name, 1 to ${MAX_GROUP_SUBJECT} characters.`),
    name: z
      .string({ error: 'name must be a string' })
      .max(MAX_GROUP_SUBJECT, `name must be at most ${MAX_GROUP_SUBJECT} characters`)
      .optional()
      .describe("WAHA's name for `subject` (either is accepted)."),
    participants: participantsField(1),
  })
  .superRefine((v, ctx) => {
    if (!(v.subject ?? v.name)?.trim()) ctx.addIssue({ code: 'custom', message: 'subject is required' });
  })
  .transform(({ subject, name, participants }) => ({ subject: (subject ?? name)!.trim(), participants }))
  .meta({ required: ['subject', 'participants'] });

/** POST /api/connections/:id/groups/:groupId/participants/{add,remove,promote,demote} */
export const GroupParticipantsBody = z.object({ participants: participantsField(1) });

export const GroupParticipantActions = ['add', 'remove', 'promote', 'demote'] as const;
export type GroupParticipantAction = (typeof GroupParticipantActions)[number];

/* ---------------------------------------------------------------- replies ---------------------------------------------------------------- */

export const GroupRole = z.enum(['participant', 'admin', 'superadmin']);

export const GroupParticipantView = z.object({
  id: z.string().describe('The member: `<digits>@c.us` (`<id>@lid` when WhatsApp shows no number).'),
  role: GroupRole.describe('participant, admin, or superadmin (the creator).'),
  isAdmin: z.boolean().describe('admin or superadmin'),
  isSuperAdmin: z.boolean(),
});
export type GroupParticipantView = z.infer<typeof GroupParticipantView>;

export const GroupView = z.object({
  id: z.string().describe('`<id>@g.us`: use it as `chatId` to send to the group.'),
  subject: z.string(),
  description: z.string().nullable(),
  owner: z.string().nullable().describe('The creator, `<digits>@c.us`.'),
  creation: z.number().int().describe('When the group was created, Unix seconds.'),
  size: z.number().int(),
  announce: z.boolean().describe('Only admins may send messages.'),
  restrict: z.boolean().describe('Only admins may edit the group info.'),
  participants: z.array(GroupParticipantView),
});
export type GroupView = z.infer<typeof GroupView>;

export const GroupParticipantResult = z.object({
  id: z.string().describe('`<digits>@c.us`'),
  status: z
    .number()
    .int()
    .describe(
      "WhatsApp's answer for this member: 200 done, 403 not allowed (privacy or not an admin), 404 not on WhatsApp, 409 already a member.",
    ),
});
export type GroupParticipantResult = z.infer<typeof GroupParticipantResult>;

export const GroupInvite = z.object({
  code: z.string().describe('The invite code.'),
  url: z.string().describe('`https://chat.whatsapp.com/<code>`'),
});
export type GroupInvite = z.infer<typeof GroupInvite>;

export const inviteUrl = (code: string) => `https://chat.whatsapp.com/${code}`;

/* ---------------------------------------------------------------- commands ---------------------------------------------------------------- */

const Owned = { userId: z.uuid(), connectionId: z.string() }; // the path id: 400 Invalid connection id
const OwnedGroup = { ...Owned, groupId: z.string() }; // the path id: 400 Invalid group id
const Held = { connectionId: z.uuid() };
const HeldGroup = { ...Held, groupJid: z.string().regex(/@g\.us$/) };
const Phones = z
  .array(z.string().regex(/^\d{7,15}$/))
  .min(1)
  .max(MAX_GROUP_PARTICIPANTS);
const Done = z.object({ success: z.literal(true) });

export const ListGroups = defineCommand({
  name: 'connection.connection.groups',
  version: 1,
  request: z.object(Owned),
  reply: z.array(GroupView),
  summary: 'The groups the linked number is a member of; 409 not linked, 503 no holder',
});

export const GetGroup = defineCommand({
  name: 'connection.connection.group',
  version: 1,
  request: z.object(OwnedGroup),
  reply: GroupView,
  summary: 'One group with its participants; 404 Group not found',
});

export const CreateGroup = defineCommand({
  name: 'connection.connection.group-create',
  version: 1,
  request: z.object({ ...Owned, subject: z.string().min(1).max(MAX_GROUP_SUBJECT), participants: Phones }),
  reply: GroupView,
  summary: 'Create a group with these members; the linked number is its superadmin',
});

export const UpdateGroupParticipants = defineCommand({
  name: 'connection.connection.group-participants',
  version: 1,
  request: z.object({ ...OwnedGroup, action: z.enum(GroupParticipantActions), participants: Phones }),
  reply: z.array(GroupParticipantResult),
  summary: 'Add, remove, promote or demote members; one status per member; 403 not an admin',
});

export const GetGroupInvite = defineCommand({
  name: 'connection.connection.group-invite',
  version: 1,
  request: z.object({ ...OwnedGroup, revoke: z.boolean() }),
  reply: GroupInvite,
  summary: 'The invite link of a group, or (revoke) a new one that replaces it; 403 not an admin',
});

export const LeaveGroup = defineCommand({
  name: 'connection.connection.group-leave',
  version: 1,
  request: z.object(OwnedGroup),
  reply: Done,
  summary: 'The linked number leaves the group',
});

export const SessionGroupList = defineCommand({
  name: 'connection.session.group-list',
  version: 1,
  request: z.object(Held),
  reply: z.array(GroupView),
  summary: 'Every group the number participates in (owner only)',
});

export const SessionGroupGet = defineCommand({
  name: 'connection.session.group-get',
  version: 1,
  request: z.object(HeldGroup),
  reply: GroupView,
  summary: 'Group metadata (owner only); 404 Group not found',
});

export const SessionGroupCreate = defineCommand({
  name: 'connection.session.group-create',
  version: 1,
  request: z.object({ ...Held, subject: z.string().min(1).max(MAX_GROUP_SUBJECT), participants: z.array(Jid).min(1) }),
  reply: GroupView,
  summary: 'Create a group (owner only)',
});

export const SessionGroupParticipants = defineCommand({
  name: 'connection.session.group-participants',
  version: 1,
  request: z.object({ ...HeldGroup, action: z.enum(GroupParticipantActions), participants: z.array(Jid).min(1) }),
  reply: z.array(GroupParticipantResult),
  summary: 'Change members (owner only)',
});

export const SessionGroupInvite = defineCommand({
  name: 'connection.session.group-invite',
  version: 1,
  request: z.object({ ...HeldGroup, revoke: z.boolean() }),
  reply: GroupInvite,
  summary: 'Get or revoke the invite code (owner only)',
});

export const SessionGroupLeave = defineCommand({
  name: 'connection.session.group-leave',
  version: 1,
  request: z.object(HeldGroup),
  reply: Done,
  summary: 'Leave the group (owner only)',
});
