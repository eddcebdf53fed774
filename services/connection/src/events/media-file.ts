/**
 * The name of an inbound media file (the `:file` of `/api/connections/:id/media/:file`): the one place that
 * chooses it and reads it back. Today `<message key id>.<extension>`, both URL- and path-safe; the URL around it
 * is built by `mediaPath`/`withPublicMediaUrl` (@wahooks/contracts), which treat the name as opaque.
 */
import type { WAMessageKey, proto } from '@whiskeysockets/baileys';

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

/** The file name of a message's media: its key id (alphanumerics only) and an extension from the mimetype. */
export function mediaFileName(key: WAMessageKey, media: MediaContent): string {
  const mimetype = media.message.mimetype;
  const ext =
    (mimetype && EXT[mimetype]) ??
    (mimetype
      ?.split('/')[1]
      ?.split(';')[0]
      ?.replace(/[^a-z0-9]/gi, '') ||
      media.type.replace('Message', ''));
  return `${(key.id ?? 'media').replace(/[^A-Za-z0-9]/g, '')}.${ext}`;
}

/**
 * Which message a file name refers to, or undefined when it cannot be one `mediaFileName` gave (so a name with
 * `..`, `/` or any escape never reaches a lookup). The caller still checks that the message's media has exactly
 * this name.
 */
export function parseMediaFileName(file: string): { keyId: string } | undefined {
  const m = /^([A-Za-z0-9]{1,128})\.[A-Za-z0-9]{1,127}$/.exec(file);
  return m ? { keyId: m[1]! } : undefined;
}
