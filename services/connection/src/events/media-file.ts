/**
 * The name of an inbound media file (the `:file` of `/api/connections/:id/media/:file`): the one place that
 * chooses it and reads it back. `<message key id>-<chat and sender ref>.<extension>`: the id alone is the
 * sender's choice, so the name also names the chat and the sender (opaquely, store-key.ts) and a message someone
 * else sent with the same id never answers for it. URL- and path-safe; the URL around it is built by
 * `mediaPath`/`withPublicMediaUrl` (@wahooks/contracts), which treat the name as opaque. Names handed out before
 * (`<id>.<extension>`) are still read, for a message that is the only one with its id.
 */
import type { WAMessageKey, proto } from '@whiskeysockets/baileys';
import { chatSenderRef, storeKeyOf } from './store-key.js';

const MEDIA_TYPES = ['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];
export type MediaContent = {
  type: MediaType;
  message: proto.Message.IImageMessage & proto.Message.IDocumentMessage;
};

/** The media part of a message's (unwrapped) content, if it has one. */
export function mediaOf(content: proto.IMessage | undefined): MediaContent | undefined {
  if (!content) return undefined;
  for (const type of MEDIA_TYPES) {
    const m = content[type];
    if (m) return { type, message: m as MediaContent['message'] };
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

/** The extension the mimetype suggests (alphanumerics), else the media type. */
const rawExtension = (media: MediaContent): string => {
  const mimetype = media.message.mimetype;
  return (
    (mimetype && EXT[mimetype]) ??
    (mimetype
      ?.split('/')[1]
      ?.split(';')[0]
      ?.replace(/[^a-z0-9]/gi, '') ||
      media.type.replace('Message', ''))
  );
};
const idPart = (key: WAMessageKey) => (key.id ?? 'media').replace(/[^A-Za-z0-9]/g, '');

/** The file name of a message's media: its key id (alphanumerics), its chat and sender ref, an extension. */
export function mediaFileName(key: WAMessageKey, media: MediaContent): string {
  const ref = chatSenderRef(storeKeyOf(key) ?? { chat: key.remoteJid ?? '', sender: '' });
  return `${idPart(key)}-${ref}.${rawExtension(media).slice(0, 16)}`;
}

/** The name `mediaFileName` gave before names carried the chat and sender (`<id>.<extension>`). */
export const legacyMediaFileName = (key: WAMessageKey, media: MediaContent): string =>
  `${idPart(key)}.${rawExtension(media)}`;

/**
 * Which message a file name refers to, or undefined when it cannot be one `mediaFileName` gave (so a name with
 * `..`, `/` or any escape never reaches a lookup). `legacy`: a name from before (`<id>.<extension>`). The caller
 * still checks that a message's media has exactly this name.
 */
export function parseMediaFileName(file: string): { keyId: string; legacy: boolean } | undefined {
  const current = /^([A-Za-z0-9]{1,128})-[0-9a-f]{24}\.[A-Za-z0-9]{1,16}$/.exec(file);
  if (current) return { keyId: current[1]!, legacy: false };
  const legacy = /^([A-Za-z0-9]{1,128})\.[A-Za-z0-9]{1,127}$/.exec(file);
  return legacy ? { keyId: legacy[1]!, legacy: true } : undefined;
}
