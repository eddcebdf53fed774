import { normalizeMessageContent, proto, type MediaType } from '@whiskeysockets/baileys';
import { pollOf, type PollInfo } from './polls.js';

export type OutboundType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'reaction'
  | 'edit'
  | 'revoke'
  | 'poll'
  | 'other'
  | 'undecryptable';

/** One message a linked client sent, as its recipient decrypted it. */
export interface OutboundRecord {
  id: string;
  /** the linked account that sent it (digits) */
  from: string;
  /** recipient phone number (digits), or the group jid for group messages */
  to: string;
  /** group jid (`<id>@g.us`) when sent to a group */
  group?: string;
  timestamp: number; // unix seconds
  type: OutboundType;
  text?: string;
  caption?: string;
  fileName?: string;
  mimetype?: string;
  /** audio sent as a voice note */
  ptt?: boolean;
  /** decrypted media bytes, fetched from the emulator's media host */
  media?: Buffer;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  vcard?: string;
  displayName?: string;
  /** `targetFromMe`: the reacted-to message was sent by the linked account (as the client's key says) */
  reaction?: { text: string; targetId: string; targetFromMe: boolean };
  /** a poll: its name, options, selectable count and secret (see polls.ts) */
  poll?: PollInfo;
  /** id of the message this one quotes (replies), edits or revokes */
  quotedId?: string;
  targetId?: string;
  error?: string;
  /**
   * times the recipient could not decrypt this message id (each answered by a retry receipt while any are left);
   * a record that became readable on a resend keeps the count (`error` is only set while it is unreadable)
   */
  decryptFailures?: number;
  /** the whole decrypted proto.Message, as plain JSON */
  message?: Record<string, unknown>;
  /** receipts the contact sent back so far */
  status: 'sent' | 'delivered' | 'read' | 'played';
}

type MediaField = 'imageMessage' | 'videoMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage';
const MEDIA_FIELDS: [MediaField, OutboundType & MediaType][] = [
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['audioMessage', 'audio'],
  ['documentMessage', 'document'],
  ['stickerMessage', 'sticker'],
];

/** Media a record still needs: where the blob is and how to decrypt it. */
export interface MediaRef {
  type: MediaType;
  url?: string;
  directPath?: string;
  mediaKey: Uint8Array;
}

/** Flattens a decrypted message into a record (media bytes are filled in by the caller from `media`). */
export function describeMessage(raw: proto.IMessage): { fields: Partial<OutboundRecord>; media?: MediaRef } {
  const described = describeContent(normalizeMessageContent(raw) ?? raw);
  // Any content type can quote (a reply): its contextInfo names the quoted message.
  described.fields.quotedId ??= quotedIdOf(normalizeMessageContent(raw) ?? raw);
  if (described.fields.quotedId === undefined) delete described.fields.quotedId;
  return described;
}

function quotedIdOf(m: proto.IMessage): string | undefined {
  for (const value of Object.values(m)) {
    const stanzaId = (value as { contextInfo?: proto.IContextInfo | null } | null)?.contextInfo?.stanzaId;
    if (stanzaId) return stanzaId;
  }
  return undefined;
}

function describeContent(m: proto.IMessage): { fields: Partial<OutboundRecord>; media?: MediaRef } {
  const message = proto.Message.toObject(proto.Message.fromObject(m), { longs: Number, bytes: String }) as Record<
    string,
    unknown
  >;
  if (m.conversation != null) return { fields: { type: 'text', text: m.conversation, message } };
  if (m.extendedTextMessage) {
    const ext = m.extendedTextMessage;
    return {
      fields: { type: 'text', text: ext.text ?? '', quotedId: ext.contextInfo?.stanzaId ?? undefined, message },
    };
  }
  for (const [field, type] of MEDIA_FIELDS) {
    const media = m[field];
    if (!media) continue;
    const fields: Partial<OutboundRecord> = {
      type,
      mimetype: media.mimetype ?? undefined,
      quotedId: media.contextInfo?.stanzaId ?? undefined,
      message,
    };
    if ('caption' in media && media.caption) fields.caption = media.caption;
    if ('fileName' in media && media.fileName) fields.fileName = media.fileName;
    if ('ptt' in media) fields.ptt = !!media.ptt;
    const ref =
      media.mediaKey && (media.url || media.directPath)
        ? { type, url: media.url ?? undefined, directPath: media.directPath ?? undefined, mediaKey: media.mediaKey }
        : undefined;
    return { fields, media: ref };
  }
  if (m.locationMessage) {
    const l = m.locationMessage;
    return {
      fields: {
        type: 'location',
        location: {
          latitude: l.degreesLatitude ?? 0,
          longitude: l.degreesLongitude ?? 0,
          name: l.name ?? undefined,
          address: l.address ?? undefined,
        },
        message,
      },
    };
  }
  if (m.contactMessage) {
    return {
      fields: {
        type: 'contact',
        vcard: m.contactMessage.vcard ?? '',
        displayName: m.contactMessage.displayName ?? vcardName(m.contactMessage.vcard),
        message,
      },
    };
  }
  if (m.contactsArrayMessage) {
    const first = m.contactsArrayMessage.contacts?.[0];
    return {
      fields: {
        type: 'contact',
        vcard: first?.vcard ?? '',
        displayName: m.contactsArrayMessage.displayName ?? first?.displayName ?? undefined,
        message,
      },
    };
  }
  if (m.reactionMessage) {
    return {
      fields: {
        type: 'reaction',
        reaction: {
          text: m.reactionMessage.text ?? '',
          targetId: m.reactionMessage.key?.id ?? '',
          targetFromMe: !!m.reactionMessage.key?.fromMe,
        },
        message,
      },
    };
  }
  const protocol = m.protocolMessage;
  if (protocol?.type === proto.Message.ProtocolMessage.Type.REVOKE) {
    return { fields: { type: 'revoke', targetId: protocol.key?.id ?? undefined, message } };
  }
  if (protocol?.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
    const edited = protocol.editedMessage;
    const text = edited?.conversation ?? edited?.extendedTextMessage?.text ?? undefined;
    return { fields: { type: 'edit', targetId: protocol.key?.id ?? undefined, text, message } };
  }
  const poll = pollOf(m);
  if (poll) return { fields: { type: 'poll', poll, message } };
  return { fields: { type: 'other', message } };
}

/** FN of a vCard: Baileys sends a single contact without displayName unless the caller set one per contact. */
function vcardName(vcard: string | null | undefined): string | undefined {
  return vcard?.match(/^FN:(.*)$/m)?.[1]?.trim();
}
