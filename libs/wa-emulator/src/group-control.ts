/**
 * Control-side group changes: a member's phone (a contact, or a linked account's own phone) acts on a group, and
 * every linked member's client is told through `w:gp2` notifications, as when a real person does it. Also the
 * read-only view tests compare against. Input is untrusted (control API JSON): bad input is a 400.
 */
import type { ServerContext } from './context.js';
import { EmulatorInputError } from './errors.js';
import {
  changeParticipants,
  isGroupAdmin,
  leaveGroup,
  MAX_SUBJECT,
  requireGroup,
  roleOf,
  setDescription,
  setSubject,
  type GroupRole,
  type ParticipantAction,
} from './group-changes.js';

export type GroupActionKind = ParticipantAction | 'leave' | 'subject' | 'description';
const KINDS: GroupActionKind[] = ['add', 'remove', 'promote', 'demote', 'leave', 'subject', 'description'];

export interface GroupActionCommand {
  /** `<id>@g.us` or `<id>` */
  group: string;
  /** the member who acts (digits); an admin for add/remove/promote/demote */
  actor: string;
  action: GroupActionKind;
  /** add/remove/promote/demote: phone numbers (digits) */
  participants?: string[];
  subject?: string;
  /** description: the new text, or null/"" to remove it */
  description?: string | null;
}

export interface GroupInfo {
  jid: string;
  subject: string;
  description: string | null;
  creator: string;
  participants: { phone: string; role: GroupRole }[];
  inviteCode: string | null;
}

const digits = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || !/^\d{5,20}$/.test(value))
    throw new EmulatorInputError(`${field} must be a phone number of 5 to 20 digits (no + or spaces)`);
  return value;
};

/** Applies one change; member changes answer WhatsApp's per-member codes (200 = done). */
export function groupAction(
  ctx: ServerContext,
  command: GroupActionCommand,
): { results?: { phone: string; code: number }[] } {
  if (typeof command !== 'object' || command === null) throw new EmulatorInputError('body must be a JSON object');
  const group = requireGroup(ctx, command.group);
  const actor = digits(command.actor, 'actor');
  if (!KINDS.includes(command.action)) throw new EmulatorInputError(`action must be one of ${KINDS.join(', ')}`);
  if (!group.participants.includes(actor)) throw new EmulatorInputError(`${actor} is not a member of ${group.jid}`);
  switch (command.action) {
    case 'add':
    case 'remove':
    case 'promote':
    case 'demote': {
      if (!Array.isArray(command.participants) || command.participants.length === 0)
        throw new EmulatorInputError('participants must be a non-empty array of phone numbers');
      const phones = command.participants.map((p) => digits(p, 'participants[]'));
      if (!isGroupAdmin(group, actor)) throw new EmulatorInputError(`${actor} is not an admin of ${group.jid}`);
      return { results: changeParticipants(ctx, group, actor, command.action, phones) };
    }
    case 'leave':
      leaveGroup(ctx, group, actor);
      return {};
    case 'subject':
      if (typeof command.subject !== 'string' || !command.subject.trim() || [...command.subject].length > MAX_SUBJECT)
        throw new EmulatorInputError(`subject must be 1 to ${MAX_SUBJECT} characters`);
      setSubject(ctx, group, actor, command.subject);
      return {};
    case 'description':
      if (command.description !== undefined && command.description !== null && typeof command.description !== 'string')
        throw new EmulatorInputError('description must be a string or null');
      setDescription(ctx, group, actor, command.description || null);
      return {};
  }
}

export function groupInfo(ctx: ServerContext, jid: string): GroupInfo {
  const group = requireGroup(ctx, jid);
  return {
    jid: group.jid,
    subject: group.subject,
    description: group.description ?? null,
    creator: group.creator,
    participants: group.participants.map((phone) => ({ phone, role: roleOf(group, phone)! })),
    inviteCode: group.inviteCode ?? null,
  };
}

/** Whether a usync contact query finds `phone` on WhatsApp (every number does by default). */
export function setOnWhatsApp(ctx: ServerContext, command: { phone: string; onWhatsApp: boolean }): void {
  const phone = digits(command?.phone, 'phone');
  if (typeof command.onWhatsApp !== 'boolean') throw new EmulatorInputError('onWhatsApp must be a boolean');
  if (command.onWhatsApp) ctx.directory.notOnWhatsApp.delete(phone);
  else ctx.directory.notOnWhatsApp.add(phone);
}
