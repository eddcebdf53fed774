/**
 * Session-owned outbound commands: the messaging service asks the one connection replica that holds a
 * WhatsApp socket to send on it. Routed on `Exchanges.sessions` with routing key = connection id (unroutable →
 * 503: no replica holds the session). Media bytes never ride on the broker: messaging stages them in Redis
 * (`MediaRef.key`, short TTL) and the owner reads them from there, so no broker message exceeds a few KB.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';

/** A WhatsApp JID as Baileys wants it: `<digits>@s.whatsapp.net`, `<id>@g.us` or `<id>@lid`. */
export const Jid = z.string().regex(/^[^@\s]+@(s\.whatsapp\.net|g\.us|lid)$/);

/** Bytes staged in Redis by the messaging service for one send (deleted after the send, or by TTL). */
export const MediaRef = z.object({
  key: z.string().min(1), // the full Redis key, prefix included
  size: z.number().int().nonnegative(), // bytes
  mimetype: z.string().min(1),
  fileName: z.string().optional(),
});
export type MediaRef = z.infer<typeof MediaRef>;

/** A message this connection sent or received, named by its WhatsApp key. */
export const MessageTarget = z.object({
  chatId: Jid,
  id: z.string().min(1), // the bare WhatsApp message id
  fromMe: z.boolean(),
  participant: Jid.optional(), // the sender inside a group, for messages not from me
});
export type MessageTarget = z.infer<typeof MessageTarget>;

export const OutboundContent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1) }),
  z.object({ type: z.literal('image'), media: MediaRef, caption: z.string().optional() }),
  z.object({ type: z.literal('video'), media: MediaRef, caption: z.string().optional() }),
  /** Always a voice note (ptt), as the original's sendVoice. */
  z.object({ type: z.literal('audio'), media: MediaRef }),
  z.object({
    type: z.literal('document'),
    media: MediaRef,
    fileName: z.string().min(1),
    caption: z.string().optional(),
  }),
  z.object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().optional(),
    address: z.string().optional(),
  }),
  z.object({ type: z.literal('contact'), displayName: z.string().min(1), vcard: z.string().min(1) }),
  /** `emoji: ""` removes an earlier reaction. */
  z.object({ type: z.literal('reaction'), target: MessageTarget, emoji: z.string() }),
  z.object({ type: z.literal('edit'), target: MessageTarget, text: z.string().min(1) }),
  z.object({ type: z.literal('revoke'), target: MessageTarget }),
  /** A poll; `selectableCount` 1 = one answer, 0 = any number (WhatsApp's "allow multiple answers"). */
  z.object({
    type: z.literal('poll'),
    name: z.string().min(1).max(255),
    options: z.array(z.string().min(1).max(100)).min(2).max(12),
    selectableCount: z.union([z.literal(0), z.literal(1)]),
  }),
]);
export type OutboundContent = z.infer<typeof OutboundContent>;

export const SessionSendReply = z.object({
  messageId: z.string(), // the bare WhatsApp id (equal to the request's `messageId`)
  chatId: Jid,
  timestamp: z.number().int().nonnegative(), // Unix seconds
  /** `true` when this id had already been sent by this session: nothing was sent again. */
  duplicate: z.boolean(),
});
export type SessionSendReply = z.infer<typeof SessionSendReply>;

export const SessionSend = defineCommand({
  name: 'connection.session.send',
  version: 1,
  request: z.object({
    connectionId: z.uuid(),
    chatId: Jid,
    /**
     * Chosen by the messaging service before the first try (Baileys' id format), so a retry of a send whose
     * outcome was unknown is recognised by the owner (its message store has the id) and not sent twice.
     */
    messageId: z.string().regex(/^[0-9A-F]{16,40}$/),
    content: OutboundContent,
    /** Quote this message (a reply); the owner looks it up in its message store. */
    replyTo: MessageTarget.optional(),
  }),
  reply: SessionSendReply,
  summary:
    'Send one message on the live session (owner only). 409 not linked, 404 quoted/target message unknown, 422 media gone',
});

export const SessionPresence = defineCommand({
  name: 'connection.session.presence',
  version: 1,
  request: z.object({
    connectionId: z.uuid(),
    chatId: Jid,
    /** composing = typing…, paused = stop typing. */
    presence: z.enum(['composing', 'paused', 'available', 'unavailable']),
  }),
  reply: z.object({ success: z.literal(true) }),
  summary: 'Typing indicators and online state on the live session (owner only)',
});

export const SessionMarkRead = defineCommand({
  name: 'connection.session.mark-read',
  version: 1,
  request: z.object({
    connectionId: z.uuid(),
    chatId: Jid,
    /** Specific messages; when absent, the chat's unread messages in the owner's message store. */
    messages: z.array(MessageTarget).max(100).optional(),
  }),
  reply: z.object({ success: z.literal(true), read: z.number().int().nonnegative() }),
  summary: 'Send read receipts (blue ticks) for a chat (owner only)',
});
