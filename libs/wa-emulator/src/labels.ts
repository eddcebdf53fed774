/**
 * WhatsApp Business labels as the account's phone makes them: a label edit (create, rename, recolour, delete) and
 * a label on a chat or a message are each one app-state mutation of the `regular` collection (app-state.ts), with
 * the index and action WhatsApp uses (`["label_edit", id]` + labelEditAction; `["label_jid", labelId, chatJid]` or
 * `["label_message", labelId, chatJid, messageId, "0", "0"]` + labelAssociationAction). The state the control API
 * shows is replayed from every mutation kept, the linked device's own ones included.
 */
import { proto, type WAPatchCreate } from '@whiskeysockets/baileys';
import type { Account } from './accounts.js';
import { appStateOf, phoneAppStateChange } from './app-state.js';
import type { ServerContext } from './context.js';
import { EmulatorInputError } from './errors.js';

/** WhatsApp's label colours are numbered 0–19. */
export const LABEL_COLORS = 20;

export interface LabelInfo {
  id: string;
  name: string;
  color: number;
  deleted: boolean;
}

export interface LabelAssociation {
  labelId: string;
  chatJid: string;
  /** set for a label on one message */
  messageId?: string;
}

export interface LabelsView {
  labels: LabelInfo[];
  associations: LabelAssociation[];
}

export interface LabelEditCommand {
  /** the linked account whose phone edits (digits) */
  phone: string;
  /** the label to change; a new label (next free id) when absent */
  id?: string;
  name?: string;
  color?: number;
}

export interface LabelChatCommand {
  phone: string;
  labelId: string;
  /** the chat: a contact's digits, `<digits>@s.whatsapp.net` / `@c.us`, or a group `<id>@g.us` */
  chat: string;
  /** true adds the label, false removes it */
  labeled: boolean;
  /** label one message of the chat instead of the chat */
  messageId?: string;
}

const fail = (message: string): never => {
  throw new EmulatorInputError(message);
};

/** Labels and associations as every mutation so far leaves them. */
export function labelsOf(account: Account): LabelsView {
  const labels = new Map<string, LabelInfo>();
  const associations = new Map<string, LabelAssociation>();
  for (const { index, syncAction } of appStateOf(account).mutations) {
    const action = syncAction.value;
    if (index[0] === 'label_edit' && action?.labelEditAction && index[1]) {
      const edit = action.labelEditAction;
      labels.set(index[1], {
        id: index[1],
        name: edit.name ?? '',
        color: edit.color ?? 0,
        deleted: Boolean(edit.deleted),
      });
    } else if ((index[0] === 'label_jid' || index[0] === 'label_message') && action?.labelAssociationAction) {
      const key = JSON.stringify(index);
      if (action.labelAssociationAction.labeled)
        associations.set(key, {
          labelId: index[1]!,
          chatJid: index[2]!,
          ...(index[0] === 'label_message' ? { messageId: index[3] } : {}),
        });
      else associations.delete(key);
    }
  }
  return { labels: [...labels.values()], associations: [...associations.values()] };
}

function parseName(value: unknown): string {
  if (typeof value !== 'string' || !value.trim()) return fail('name must be a non-empty string');
  if (value.length > 100) return fail('name must be at most 100 characters');
  return value;
}

function parseColor(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= LABEL_COLORS)
    return fail(`color must be an integer from 0 to ${LABEL_COLORS - 1}`);
  return value;
}

function parseChat(value: unknown): string {
  if (typeof value !== 'string') return fail('chat is required');
  if (/^\d{5,20}$/.test(value)) return `${value}@s.whatsapp.net`;
  const user = /^(\d{5,20})@(s\.whatsapp\.net|c\.us)$/.exec(value);
  if (user) return `${user[1]}@s.whatsapp.net`;
  if (/^\d{5,20}(-\d{5,20})?@g\.us$/.test(value)) return value;
  return fail('chat must be a phone number, <digits>@s.whatsapp.net, <digits>@c.us or <id>@g.us');
}

function labelPatch(index: string[], syncAction: proto.ISyncActionValue): WAPatchCreate {
  return {
    syncAction: { ...syncAction, timestamp: Date.now() },
    index: index as WAPatchCreate['index'],
    type: 'regular',
    apiVersion: 3,
    operation: proto.SyncdMutation.SyncdOperation.SET,
  };
}

/** Create a label (no `id`) or change one; the linked device gets the patch. */
export async function editLabel(ctx: ServerContext, account: Account, command: LabelEditCommand): Promise<LabelInfo> {
  const { labels } = labelsOf(account);
  let label: LabelInfo;
  if (command.id === undefined) {
    const next = Math.max(0, ...labels.map((l) => Number(l.id)).filter(Number.isFinite)) + 1;
    label = { id: `${next}`, name: parseName(command.name), color: parseColor(command.color ?? 0), deleted: false };
  } else {
    if (typeof command.id !== 'string' || !command.id) return fail('id must be a label id');
    const current = labels.find((l) => l.id === command.id && !l.deleted);
    if (!current) return fail(`account ${account.phone} has no label ${command.id}`);
    if (command.name === undefined && command.color === undefined) return fail('name or color is required');
    label = {
      ...current,
      ...(command.name !== undefined ? { name: parseName(command.name) } : {}),
      ...(command.color !== undefined ? { color: parseColor(command.color) } : {}),
    };
  }
  await phoneAppStateChange(
    ctx,
    account,
    labelPatch(['label_edit', label.id], { labelEditAction: { name: label.name, color: label.color, deleted: false } }),
  );
  return label;
}

/** Delete a label (WhatsApp keeps it as `deleted: true`). */
export async function deleteLabel(ctx: ServerContext, account: Account, id: unknown): Promise<LabelInfo> {
  const label = labelsOf(account).labels.find((l) => l.id === id && !l.deleted);
  if (!label) return fail(`account ${account.phone} has no label ${String(id)}`);
  await phoneAppStateChange(
    ctx,
    account,
    labelPatch(['label_edit', label.id], { labelEditAction: { name: label.name, color: label.color, deleted: true } }),
  );
  return { ...label, deleted: true };
}

/** Put a label on a chat (or one message of it), or take it off. */
export async function labelChat(
  ctx: ServerContext,
  account: Account,
  command: LabelChatCommand,
): Promise<LabelAssociation> {
  if (typeof command.labeled !== 'boolean') return fail('labeled must be true or false');
  const chatJid = parseChat(command.chat);
  if (!labelsOf(account).labels.some((l) => l.id === command.labelId && !l.deleted))
    return fail(`account ${account.phone} has no label ${String(command.labelId)}`);
  if (command.messageId !== undefined && (typeof command.messageId !== 'string' || !command.messageId))
    return fail('messageId must be a message id');
  const index = command.messageId
    ? ['label_message', command.labelId, chatJid, command.messageId, '0', '0']
    : ['label_jid', command.labelId, chatJid];
  await phoneAppStateChange(ctx, account, labelPatch(index, { labelAssociationAction: { labeled: command.labeled } }));
  return { labelId: command.labelId, chatJid, ...(command.messageId ? { messageId: command.messageId } : {}) };
}
