/** One Baileys WAMessage → the WAHA `message` payload (docs/events.md). */
import {
  extractMessageContent,
  getContentType,
  normalizeMessageContent,
  toNumber,
  type WAMessage,
  type WAMessageKey,
  type proto,
} from '@whiskeysockets/baileys';
import { mediaPath, type EventMedia } from '@wahooks/contracts';
import { ackFromStatus, ackName, type Ack } from './ack.js';
import { preferPn, toChatId } from './jids.js';
import { toJsonSafe } from './json-safe.js';
import { mediaFileName, mediaOf, type MediaContent } from './media-file.js';

export type Me = {
  id: string; // `<digits>@c.us`
  pushName?: string;
};

export interface MapContext {
  me?: Me | null;
  /** The connection the messages belong to: `media.url` is its media path (never an internal host). */
  connectionId: string;
  /** Whether a message id was sent through this service's API (`source: "api"`), else `"app"`. */
  sentByApi?(keyId: string): boolean;
  /** A message this session kept (for `before` on revokes and `replyTo` bodies). */
  findMessage?(key: WAMessageKey): WAMessage | undefined;
  /** Why a message's media will not be downloaded (its location or declared size; sessions/media-download.ts),
   *  or null: the event then shows it unavailable with that reason, and no URL. */
  mediaRefusal?(media: MediaContent): string | null;
  nowMs(): number;
}

export interface WahaMessage {
  id: string;
  timestamp: number;
  from: string | null;
  fromMe: boolean;
  source: 'app' | 'api';
  to: string | null;
  participant: string | null;
  body: string | null;
  hasMedia: boolean;
  /** With `file` and a path-only `url`: whoever shows the message makes it public (withPublicMediaUrl). */
  media: EventMedia | null;
  ack: Ack | null;
  ackName: string;
  replyTo: { id: string; participant: string | null; body: string | null } | null;
  _data: unknown;
}

/** Chat, sender and device ids of a key, PN-first, in `@c.us` form. */
export function keyParts(key: WAMessageKey, me?: Me | null) {
  const chat = toChatId(preferPn(key.remoteJid, key.remoteJidAlt));
  const participant = toChatId(preferPn(key.participant, key.participantAlt));
  const isGroup = Boolean(key.participant);
  const fromMe = Boolean(key.fromMe);
  // WAHA: `from` is the chat; `to` is the group for group messages, else the other side of the 1:1 chat.
  const to = isGroup ? chat : fromMe ? chat : (me?.id ?? null);
  return { chat, participant, fromMe, from: chat, to };
}

/** WAHA message id `{fromMe}_{chatId}_{msgId}`, e.g. `false_15551234567@c.us_3EB0C767D26A1D7C`. */
export function wahaMessageId(key: WAMessageKey): string {
  return `${Boolean(key.fromMe)}_${toChatId(preferPn(key.remoteJid, key.remoteJidAlt))}_${key.id}`;
}

export function textOf(content: proto.IMessage | undefined): string | null {
  if (!content) return null;
  return (
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    null
  );
}

/** The message's real content: unwraps ephemeral/view-once/document-with-caption wrappers. */
export const contentOf = (msg: WAMessage) => extractMessageContent(normalizeMessageContent(msg.message));

export function toWahaMessage(msg: WAMessage, ctx: MapContext): WahaMessage {
  const key = msg.key;
  const parts = keyParts(key, ctx.me);
  const content = contentOf(msg);
  const media = mediaOf(content);
  const file = media ? mediaFileName(key, media) : undefined;
  const refusal = media ? (ctx.mediaRefusal?.(media) ?? null) : null;
  // Received messages carry no status: they have reached this device.
  const ack = ackFromStatus(msg.status) ?? (parts.fromMe ? 0 : 2);
  const wahaId = wahaMessageId(key);
  const type = content ? getContentType(content) : undefined;
  const ctxInfo = type ? (content?.[type] as { contextInfo?: proto.IContextInfo } | undefined)?.contextInfo : undefined;
  let replyTo: WahaMessage['replyTo'] = null;
  if (ctxInfo?.stanzaId) {
    replyTo = {
      id: ctxInfo.stanzaId,
      participant: toChatId(ctxInfo.participant),
      body: textOf(extractMessageContent(ctxInfo.quotedMessage)),
    };
  }
  return {
    id: wahaId,
    timestamp: toNumber(msg.messageTimestamp as number | null | undefined),
    from: parts.from,
    fromMe: parts.fromMe,
    source: parts.fromMe && key.id && ctx.sentByApi?.(key.id) ? 'api' : 'app',
    to: parts.to,
    participant: parts.participant,
    body: textOf(content),
    hasMedia: Boolean(media),
    media:
      media && refusal
        ? {
            url: null,
            mimetype: media.message.mimetype ?? null,
            filename: media.message.fileName ?? null,
            error: `media unavailable: ${refusal}`,
          }
        : media && file
          ? {
              url: mediaPath(ctx.connectionId, file),
              file,
              mimetype: media.message.mimetype ?? null,
              filename: media.message.fileName ?? null,
              error: null,
            }
          : null,
    ack,
    ackName: ackName(ack),
    replyTo,
    _data: toJsonSafe(msg),
  };
}
