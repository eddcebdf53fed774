/**
 * Payloads of the label events (`label.upsert`, `label.deleted`, `label.chat.added`, `label.chat.deleted`), as WAHA
 * shapes them; they travel inside `connection.whatsapp.event` (events/connection.ts). Labels are a WhatsApp
 * Business feature: the phone syncs them to linked devices by app-state sync. docs/events.md shows examples.
 */
import { z } from 'zod';

/** WhatsApp's 20 label colours (the `color` number is an index into these), as the apps draw them. */
export const LABEL_COLOR_HEX = [
  '#ff9485',
  '#64c4ff',
  '#ffd429',
  '#dfaef0',
  '#99b6c1',
  '#55ccb3',
  '#ff9dff',
  '#d3a91d',
  '#6d7cce',
  '#d7e752',
  '#00d0e2',
  '#ffc5c7',
  '#93ceac',
  '#f74848',
  '#00a0f2',
  '#83e422',
  '#ffaf04',
  '#b5ebff',
  '#9ba6ff',
  '#9368cf',
] as const;

/** `#rrggbb` of a label colour number, or null for a number WhatsApp does not define. */
export function labelColorHex(color: number): string | null {
  return LABEL_COLOR_HEX[color] ?? null;
}

/** A label: WhatsApp's id (a small number, as a string), its name and colour (number and hex). */
export const WahaLabel = z.object({
  id: z.string().min(1),
  name: z.string(),
  color: z.number().int(),
  colorHex: z.string().nullable(),
});
export type WahaLabel = z.infer<typeof WahaLabel>;

/**
 * A label put on (`label.chat.added`) or taken off (`label.chat.deleted`) a chat. `label` is the label as this
 * connection last saw it, or null when it has not seen it since it started (labels made before are only named).
 */
export const LabelChatAssociation = z.object({
  labelId: z.string().min(1),
  chatId: z.string().min(1), // `<digits>@c.us` or `<id>@g.us`
  label: WahaLabel.nullable(),
});
export type LabelChatAssociation = z.infer<typeof LabelChatAssociation>;
