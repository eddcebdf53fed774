/** One Baileys WAMessage → the WAHA `message` payload (SPEC §4.7). */
import {
  extractMessageContent,
  getContentType,
  normalizeMessageContent,
  toNumber,
  type WAMessage,
  type WAMessageKey,
  type proto,
} from '@whiskeysockets/baileys';
import { ackFromStatus, ackName, type Ack } from './ack.js';
import { preferPn, toChatId } from './jids.js';
import { toJsonSafe } from './json-safe.js';

export type Me = {
  id: string; // `<digits>@c.us`
  pushName?: string;
};

export interface MapContext {
  me?: Me | null;
  /** The authenticated URL that serves one inbound media file (SPEC §9 #11: never an internal host). */
  mediaUrl(filename: string): string;
  /** Whether a message id was sent through this service's API (`source: "api"`), else `"app"`. */
  sentByApi?(keyId: string): boolean;
  /** A message this session kept (for `before` on revokes and `replyTo` bodies). */
  findMessage?(key: WAMessageKey): WAMessage | undefined;
  nowMs(): number;
}

export interface WahaMedia {
  url: string;
  mimetype: string | null;
  filename: string | null;
  error: null;
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
  media: WahaMedia | null;
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

const MEDIA_TYPES = ['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const;
type MediaType = (typeof MEDIA_TYPES)[number];

export function mediaOf(content: proto.IMessage | undefined) {
  if (!content) return undefined;
  for (const type of MEDIA_TYPES) {
    const m = content[type];
    if (m) return { type, message: m as proto.Message.IImageMessage & proto.Message.IDocumentMessage };
  }
  return undefined;
}

const EXT: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/ogg; codecs=opus': 'ogg',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'application/pdf': 'pdf',
};

/** The file name used in the media URL: the message id plus an extension, both URL- and path-safe. */
export function mediaFileName(keyId: string, mimetype: string | null | undefined, type: MediaType): string {
  const ext =
    (mimetype && EXT[mimetype]) ??
    (mimetype
      ?.split('/')[1]
      ?.split(';')[0]
      ?.replace(/[^a-z0-9]/gi, '') ||
      type.replace('Message', ''));
  return `${keyId.replace(/[^A-Za-z0-9]/g, '')}.${ext}`;
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
    media: media
      ? {
          url: ctx.mediaUrl(mediaFileName(key.id ?? 'media', media.message.mimetype, media.type)),
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
