import { proto, type MediaType } from '@whiskeysockets/baileys';
import type { Account } from './accounts.js';
import type { InboundRequest, MediaOverrides } from './inbound-request.js';
import { encryptMedia } from './media-crypto.js';
import type { MediaHost } from './media-host.js';

/** What was said earlier in a chat, so replies/reactions/edits can point at it with the right key. */
export interface ChatHistory {
  /** text of an inbound message the emulator delivered earlier, by id */
  inboundText(id: string): string | undefined;
}

const DEFAULT_MIME: Record<'image' | 'video' | 'audio' | 'voice' | 'document', string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  voice: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
};

/**
 * Encrypts the bytes like a phone, parks them on the media host and returns the media message fields; a test's
 * `url`/`fileLength` (MediaOverrides) replace what the message claims.
 */
async function uploadMedia(host: MediaHost, data: Buffer, type: MediaType, overrides: MediaOverrides) {
  const encrypted = await encryptMedia(data, type);
  const { url } = host.put(encrypted.file);
  // no directPath on purpose: Baileys then downloads `url` as is (https on the media host by default)
  return {
    url: overrides.url?.replaceAll('{blob}', encodeURIComponent(url)) ?? url,
    mediaKey: encrypted.mediaKey,
    fileSha256: encrypted.fileSha256,
    fileEncSha256: encrypted.fileEncSha256,
    fileLength: overrides.fileLength ?? encrypted.fileLength,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
  };
}

/** proto.Message for an inbound request, from the contact `contactJid` to the account. */
export async function buildInboundMessage(
  request: InboundRequest & { data?: Buffer },
  account: Account,
  contactJid: string,
  history: ChatHistory,
  host: MediaHost,
  groupJid?: string,
): Promise<proto.IMessage> {
  // a message the linked client sent is fromMe from its side; anything else came from this contact
  const keyFor = (id: string): proto.IMessageKey => {
    const fromMe = account.outbound.some((r) => r.id === id);
    return groupJid
      ? { remoteJid: groupJid, fromMe, id, participant: fromMe ? account.primary.pnJid : contactJid }
      : { remoteJid: contactJid, fromMe, id };
  };
  const contextInfo = (): proto.IContextInfo | undefined => {
    if (!request.replyTo) return undefined;
    const sent = account.outbound.find((r) => r.id === request.replyTo);
    const quotedText = sent?.text ?? sent?.caption ?? history.inboundText(request.replyTo) ?? '';
    return {
      stanzaId: request.replyTo,
      participant: sent ? account.primary.pnJid : contactJid,
      quotedMessage: { conversation: quotedText },
    };
  };

  switch (request.type) {
    case 'text':
    case 'reply': {
      const ctx = contextInfo();
      return ctx ? { extendedTextMessage: { text: request.text, contextInfo: ctx } } : { conversation: request.text };
    }
    case 'image':
      return {
        imageMessage: {
          ...(await uploadMedia(host, request.data as Buffer, 'image', request)),
          mimetype: request.mimetype ?? DEFAULT_MIME.image,
          caption: request.caption,
          contextInfo: contextInfo(),
        },
      };
    case 'video':
      return {
        videoMessage: {
          ...(await uploadMedia(host, request.data as Buffer, 'video', request)),
          mimetype: request.mimetype ?? DEFAULT_MIME.video,
          caption: request.caption,
          contextInfo: contextInfo(),
        },
      };
    case 'audio':
    case 'voice': {
      const ptt = request.type === 'voice' || !!request.ptt;
      return {
        audioMessage: {
          ...(await uploadMedia(host, request.data as Buffer, 'audio', request)),
          mimetype: request.mimetype ?? (ptt ? DEFAULT_MIME.voice : DEFAULT_MIME.audio),
          ptt,
          seconds: request.seconds,
          contextInfo: contextInfo(),
        },
      };
    }
    case 'document':
      return {
        documentMessage: {
          ...(await uploadMedia(host, request.data as Buffer, 'document', request)),
          mimetype: request.mimetype ?? DEFAULT_MIME.document,
          fileName: request.fileName,
          title: request.fileName,
          caption: request.caption,
          contextInfo: contextInfo(),
        },
      };
    case 'location':
      return {
        locationMessage: {
          degreesLatitude: request.latitude,
          degreesLongitude: request.longitude,
          name: request.name,
          address: request.address,
          contextInfo: contextInfo(),
        },
      };
    case 'contact':
      return { contactMessage: { displayName: request.displayName, vcard: request.vcard, contextInfo: contextInfo() } };
    case 'reaction':
      return { reactionMessage: { key: keyFor(request.targetId), text: request.emoji, senderTimestampMs: Date.now() } };
    case 'edit':
      return {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: keyFor(request.targetId),
          editedMessage: { conversation: request.text },
          timestampMs: Date.now(),
        },
      };
    case 'revoke':
      return {
        protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: keyFor(request.targetId) },
      };
  }
}

/** `type` attribute of the `<message>` stanza for this content. */
export function stanzaType(request: InboundRequest): string {
  if (request.type === 'reaction') return 'reaction';
  return ['image', 'video', 'audio', 'voice', 'document'].includes(request.type) ? 'media' : 'text';
}
