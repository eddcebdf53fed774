/**
 * Events published by the connection service (the catalogue for receivers: docs/events.md).
 *
 * Routing decision: the broker routes an event by its contract `type` (no per-publish routing-key override),
 * so every WhatsApp event travels as ONE contract, `connection.whatsapp.event`, and the WAHA event name is the
 * `event` field of the payload. Consumers that care about a subset (webhook-delivery matches per webhook
 * filter) filter in the handler. Per-name routing keys can be added as v2 once the broker grows an override.
 */
import { z } from 'zod';
import { defineEvent } from '../define.js';
import { EventId } from '../event-id.js';

/**
 * Every WAHA event name the NOWEB engine forwards (docs/events.md), plus `test` (WAHooks' synthetic event).
 * Webhook filters accept these names or `"*"`.
 */
export const WhatsAppEventNames = [
  'session.status',
  'message',
  'message.any',
  'message.ack',
  'message.reaction',
  'message.revoked',
  'message.edited',
  'message.waiting',
  'presence.update',
  'poll.vote',
  'poll.vote.failed',
  'group.v2.join',
  'group.v2.leave',
  'group.v2.participants',
  'group.v2.update',
  'group.join',
  'group.leave',
  'chat.archive',
  'call.received',
  'call.accepted',
  'call.rejected',
  'label.upsert',
  'label.deleted',
  'label.chat.added',
  'label.chat.deleted',
  'event.response',
  'event.response.failed',
  'state.change',
  'test',
] as const;
export type WhatsAppEventName = (typeof WhatsAppEventNames)[number];

/** The WAHA-compatible envelope (docs/events.md) with WAHooks' additions `connectionId` and `userId`. */
export const WhatsAppEventPayload = z.object({
  id: EventId, // lower-case ULID; the idempotency key of every downstream consumer
  timestamp: z.number().int().nonnegative(), // milliseconds since the epoch
  event: z.string().min(1), // a WAHA event name, e.g. "message"; unknown names are forwarded to "*" webhooks
  session: z.string(), // WAHA session name
  connectionId: z.uuid(), // waha_sessions.id: routing is per connection, never per session name
  userId: z.uuid(), // the owner; INTERNAL: consumers must strip it before showing the event to anyone
  metadata: z.record(z.string(), z.unknown()).optional(),
  me: z.object({ id: z.string(), pushName: z.string().optional() }).passthrough().nullable().optional(),
  // Event-specific, as WAHA emits it. A message's `media` also carries `file` and a path-only `url`
  // (EventMedia): consumers show it through withPublicMediaUrl (media-url.ts).
  payload: z.unknown(),
  engine: z.string().optional(),
  environment: z.record(z.string(), z.unknown()).optional(),
});
export type WhatsAppEventPayload = z.infer<typeof WhatsAppEventPayload>;

export const WhatsAppEvent = defineEvent({
  type: 'connection.whatsapp.event',
  version: 1,
  payload: WhatsAppEventPayload,
  summary: 'A WhatsApp event of one connection, WAHA-shaped; publish with envelope id = payload.id',
});

const ConnectionOwnership = z.object({ connectionId: z.uuid(), userId: z.uuid() });

export const ConnectionCreated = defineEvent({
  type: 'connection.connection.created',
  version: 1,
  payload: ConnectionOwnership,
  summary: 'A connection was created: consumers keep a projection of who owns it',
});

export const ConnectionDeleted = defineEvent({
  type: 'connection.connection.deleted',
  version: 1,
  payload: ConnectionOwnership,
  summary: 'A connection was deleted: its webhooks and their logs go with it (cascade)',
});
