/**
 * Label events as WAHA names and shapes them (docs/events.md): Baileys' `labels.edit` → `label.upsert` (a label
 * was created or changed) or `label.deleted`; `labels.association` of a chat → `label.chat.added` /
 * `label.chat.deleted` with the label as last seen. Labels on single messages have no WAHA event and are not
 * mapped. Pure: what the connection knew before (`before`, `wasOnChat`) is passed in, so a change Baileys
 * reports again (a resync from scratch replays every label) maps to nothing.
 */
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import { labelColorHex, type LabelChatAssociation, type WahaLabel } from '@wahooks/contracts';
import { toChatId } from './jids.js';
import type { MappedEvent } from './map-baileys-events.js';

/** A label as this connection keeps it. */
export interface KnownLabel {
  id: string;
  name: string;
  color: number;
  deleted: boolean;
}

export const toWahaLabel = (label: KnownLabel): WahaLabel => ({
  id: label.id,
  name: label.name,
  color: label.color,
  colorHex: labelColorHex(label.color),
});

/** The label after an edit (Baileys leaves out what the patch did not carry). */
export function editedLabel(edit: BaileysEventMap['labels.edit'], before: KnownLabel | undefined): KnownLabel {
  return {
    id: edit.id,
    name: edit.name ?? before?.name ?? '',
    color: typeof edit.color === 'number' ? edit.color : (before?.color ?? 0),
    deleted: Boolean(edit.deleted),
  };
}

/** `label.upsert` for a new or changed label, `label.deleted` for one this connection had; else nothing. */
export function mapLabelEdit(edit: BaileysEventMap['labels.edit'], before: KnownLabel | undefined): MappedEvent[] {
  const after = editedLabel(edit, before);
  if (after.deleted) {
    if (!before || before.deleted) return []; // never seen alive: nothing a receiver could know to forget
    return [{ event: 'label.deleted', payload: toWahaLabel(after) }];
  }
  if (before && !before.deleted && before.name === after.name && before.color === after.color) return [];
  return [{ event: 'label.upsert', payload: toWahaLabel(after) }];
}

/** The chat a chat association is about (`<digits>@c.us`, `<id>@g.us`), or undefined for a message label. */
export function associationChat(update: BaileysEventMap['labels.association']): string | undefined {
  if (update.association.type !== 'label_jid') return undefined;
  return toChatId(update.association.chatId) ?? undefined;
}

/** `label.chat.added` / `label.chat.deleted` when the chat's label really changed (`changed`). */
export function mapLabelAssociation(
  update: BaileysEventMap['labels.association'],
  changed: boolean,
  label: KnownLabel | undefined,
): MappedEvent[] {
  const chatId = associationChat(update);
  if (!chatId || !changed) return [];
  const payload: LabelChatAssociation = {
    labelId: update.association.labelId,
    chatId,
    label: label && !label.deleted ? toWahaLabel(label) : null,
  };
  return [{ event: update.type === 'add' ? 'label.chat.added' : 'label.chat.deleted', payload }];
}
