/**
 * The contract's `OutboundContent` → what Baileys' `sendMessage` takes. Pure. Media always arrives as a
 * Buffer (read from Redis by the caller), never as `{url}`: Baileys would fetch any URL or read any local path.
 */
import type { AnyMessageContent, WAMessageKey } from '@whiskeysockets/baileys';
import type { OutboundContent } from '@wahooks/contracts';

export interface ResolvedParts {
  /** The staged media bytes, for image/video/audio/document. */
  media?: Buffer;
  /** The stored key of the target message, for reaction/edit/revoke. */
  target?: WAMessageKey;
}

export function toBaileysContent(content: OutboundContent, parts: ResolvedParts): AnyMessageContent {
  const media = (): Buffer => {
    if (!parts.media) throw new Error(`${content.type} needs its media bytes`);
    return parts.media;
  };
  const target = (): WAMessageKey => {
    if (!parts.target) throw new Error(`${content.type} needs its target message`);
    return parts.target;
  };
  switch (content.type) {
    case 'text':
      // linkPreview: null → never fetch the URLs in the text (SSRF), whatever optional packages are installed.
      return { text: content.text, linkPreview: null };
    case 'image':
      return { image: media(), mimetype: content.media.mimetype, ...caption(content.caption) };
    case 'video':
      // An empty thumbnail: Baileys would otherwise shell out to ffmpeg on the (untrusted) file for one.
      return { video: media(), mimetype: content.media.mimetype, jpegThumbnail: '', ...caption(content.caption) };
    case 'audio':
      return { audio: media(), ptt: true, mimetype: content.media.mimetype };
    case 'document':
      return {
        document: media(),
        mimetype: content.media.mimetype,
        fileName: content.fileName,
        ...caption(content.caption),
      };
    case 'location':
      return {
        location: {
          degreesLatitude: content.latitude,
          degreesLongitude: content.longitude,
          ...(content.name !== undefined ? { name: content.name } : {}),
          ...(content.address !== undefined ? { address: content.address } : {}),
        },
      };
    case 'contact':
      return { contacts: { displayName: content.displayName, contacts: [{ vcard: content.vcard }] } };
    case 'reaction':
      return { react: { text: content.emoji, key: target() } };
    case 'edit':
      return { text: content.text, edit: target(), linkPreview: null };
    case 'revoke':
      return { delete: target() };
    case 'poll':
      // Baileys adds the poll's secret (messageContextInfo.messageSecret) that votes are encrypted with.
      return { poll: { name: content.name, values: content.options, selectableCount: content.selectableCount } };
  }
}

const caption = (text: string | undefined) => (text ? { caption: text } : {});

/** The content types whose bytes are staged in Redis. */
export const mediaOf = (content: OutboundContent) => ('media' in content ? content.media : undefined);

/** The content types that act on an earlier message. */
export const targetOf = (content: OutboundContent) => ('target' in content ? content.target : undefined);
