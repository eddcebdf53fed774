/**
 * Labels (docs/api.md, "Labels"): the WhatsApp Business labels a connection has seen (synced from the phone; see
 * the label events in docs/events.md) and the chats each is on. Answered by any connection replica from what the
 * connection stored, so they work while no replica holds the session.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';
import { WahaLabel } from '../events/labels.js';

/** Path ids travel as strings: the service answers 400 `Invalid connection id` for a malformed one. */
const Owned = z.object({ userId: z.uuid(), connectionId: z.string() });

/** A label id as WhatsApp writes them (small numbers, as strings). */
export const LabelId = z
  .string()
  .regex(/^[0-9A-Za-z_-]{1,64}$/, { error: 'labelId must be a WhatsApp label id (e.g. "1")' })
  .meta({ description: 'The label id, e.g. "1"' });

export const ListLabels = defineCommand({
  name: 'connection.labels.list',
  version: 1,
  request: Owned,
  reply: z.array(WahaLabel),
  summary: 'The labels of a connection that are not deleted, by id; 400/403/404',
});

/** A chat a label is on: `<number>@c.us` or `<id>@g.us`. */
export const LabelChat = z.object({ id: z.string() });

export const ListLabelChats = defineCommand({
  name: 'connection.labels.chats',
  version: 1,
  request: Owned.extend({ labelId: LabelId }),
  reply: z.array(LabelChat),
  summary: 'The chats a label is on, by chat id; 404 Label not found; 400/403/404',
});
