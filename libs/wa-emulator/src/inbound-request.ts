import { EmulatorInputError } from './errors.js';

/** Fields every inbound message takes. `to` is the linked account, `from` the contact (digits only). */
interface InboundBase {
  to: string;
  from: string;
  /** message id (default: generated) */
  id?: string;
  /** contact's display name (notify attribute; default: the contact's profile push name) */
  pushName?: string;
  /** quote this earlier message (id of a message in the same chat, sent by either side) */
  replyTo?: string;
  /** how the stanza addresses the sender: phone number + sender_lid (default) or LID + sender_pn */
  addressing?: 'pn' | 'lid';
  /** send it in this group chat (`<id>@g.us` or `<id>`; created on first use with `to` and `from` as members) */
  group?: string;
  /**
   * the first copy arrives unreadable (its ciphertext altered on the way, as a sender out of step with the
   * client's session would leave it): the client answers with a retry receipt and the contact sends the message
   * again on a fresh session (1:1 only; with `retryReceipts: 0` it is never sent again)
   */
  damaged?: boolean;
}

/** Media bytes: a Buffer, or base64 in JSON. */
export type MediaData = Buffer | string;

/**
 * Security tests of the receiving client: what the message claims about its media, chosen by the test (a real
 * sender controls both). `url` replaces the download URL (`{blob}` in it becomes the parked blob's own URL,
 * URL-encoded, e.g. for a redirect to it; see the media host's `/media/test/*` paths); `fileLength` replaces the
 * declared size. The bytes are encrypted and parked as usual either way.
 */
export interface MediaOverrides {
  url?: string;
  fileLength?: number;
}

export type InboundRequest = InboundBase &
  (
    | { type: 'text'; text: string }
    | { type: 'reply'; text: string; replyTo: string }
    | ({ type: 'image'; data: MediaData; caption?: string; mimetype?: string } & MediaOverrides)
    | ({ type: 'video'; data: MediaData; caption?: string; mimetype?: string } & MediaOverrides)
    | ({ type: 'audio'; data: MediaData; mimetype?: string; ptt?: boolean; seconds?: number } & MediaOverrides)
    | ({ type: 'voice'; data: MediaData; mimetype?: string; seconds?: number } & MediaOverrides)
    | ({ type: 'document'; data: MediaData; fileName: string; mimetype?: string; caption?: string } & MediaOverrides)
    | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
    | { type: 'contact'; displayName: string; vcard: string }
    | { type: 'reaction'; targetId: string; emoji: string }
    | { type: 'edit'; targetId: string; text: string }
    | { type: 'revoke'; targetId: string }
  );

export type InboundType = InboundRequest['type'];

export const INBOUND_TYPES: readonly InboundType[] = [
  'text',
  'reply',
  'image',
  'video',
  'audio',
  'voice',
  'document',
  'location',
  'contact',
  'reaction',
  'edit',
  'revoke',
];

const fail = (message: string): never => {
  throw new EmulatorInputError(message);
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return required ? fail(`${field} is required`) : undefined;
  if (typeof value !== 'string') return fail(`${field} must be a string`);
  if (required && !value) return fail(`${field} must not be empty`);
  return value;
}

function bool(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'boolean' ? value : fail(`${field} must be true or false`);
}

function num(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`${field} must be a number`);
  if (value < min || value > max) return fail(`${field} must be between ${min} and ${max}`);
  return value;
}

function digits(body: Record<string, unknown>, field: string): string {
  const value = str(body, field, true)!;
  if (!/^\d{5,20}$/.test(value)) fail(`${field} must be a phone number of 5 to 20 digits (no + or spaces)`);
  return value;
}

function media(body: Record<string, unknown>): Buffer {
  const value = body.data;
  if (Buffer.isBuffer(value)) return value.length ? value : fail('data must not be empty');
  if (typeof value !== 'string' || !value) return fail('data (base64 media bytes) is required');
  if (!/^[A-Za-z0-9+/=_-]+$/.test(value)) fail('data must be base64');
  return Buffer.from(value, 'base64');
}

function mediaOverrides(body: Record<string, unknown>): MediaOverrides {
  const url = str(body, 'url', false);
  if (url !== undefined && (!url || url.length > 4096)) fail('url must be 1 to 4096 characters');
  const fileLength = body.fileLength === undefined ? undefined : num(body, 'fileLength', 0, Number.MAX_SAFE_INTEGER);
  return { ...(url !== undefined ? { url } : {}), ...(fileLength !== undefined ? { fileLength } : {}) };
}

function groupJid(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const id = value.replace(/@g\.us$/, '');
  if (!/^\d{5,20}(-\d{5,20})?$/.test(id))
    fail('group must be a group id like 15550000001-1700000000 (optionally @g.us)');
  return `${id}@g.us`;
}

/** Validates untrusted input (control API JSON or library call) into an InboundRequest with Buffer media. */
export function parseInboundRequest(input: unknown): InboundRequest & { data?: Buffer } {
  if (!isRecord(input)) return fail('body must be a JSON object');
  const type = str(input, 'type', true) as InboundType;
  if (!INBOUND_TYPES.includes(type)) fail(`type must be one of ${INBOUND_TYPES.join(', ')}`);
  const addressing = str(input, 'addressing', false);
  if (addressing !== undefined && addressing !== 'pn' && addressing !== 'lid') fail('addressing must be "pn" or "lid"');
  const id = str(input, 'id', false);
  if (id !== undefined && !/^[A-Za-z0-9]{4,64}$/.test(id)) fail('id must be 4 to 64 letters or digits');
  const base: InboundBase = {
    to: digits(input, 'to'),
    from: digits(input, 'from'),
    id,
    pushName: str(input, 'pushName', false),
    replyTo: str(input, 'replyTo', type === 'reply'),
    addressing: addressing as InboundBase['addressing'],
    group: groupJid(str(input, 'group', false)),
    damaged: bool(input, 'damaged'),
  };
  switch (type) {
    case 'text':
    case 'reply':
      return { ...base, type, text: str(input, 'text', true)!, replyTo: base.replyTo! };
    case 'image':
    case 'video':
      return {
        ...base,
        type,
        data: media(input),
        ...mediaOverrides(input),
        caption: str(input, 'caption', false),
        mimetype: str(input, 'mimetype', false),
      };
    case 'audio':
      if (input.ptt !== undefined && typeof input.ptt !== 'boolean') fail('ptt must be a boolean');
      return {
        ...base,
        type,
        data: media(input),
        ...mediaOverrides(input),
        mimetype: str(input, 'mimetype', false),
        ptt: input.ptt as boolean | undefined,
        seconds: input.seconds === undefined ? undefined : num(input, 'seconds', 0, 86400),
      };
    case 'voice':
      return {
        ...base,
        type,
        data: media(input),
        ...mediaOverrides(input),
        mimetype: str(input, 'mimetype', false),
        seconds: input.seconds === undefined ? undefined : num(input, 'seconds', 0, 86400),
      };
    case 'document':
      return {
        ...base,
        type,
        data: media(input),
        ...mediaOverrides(input),
        fileName: str(input, 'fileName', true)!,
        mimetype: str(input, 'mimetype', false),
        caption: str(input, 'caption', false),
      };
    case 'location':
      return {
        ...base,
        type,
        latitude: num(input, 'latitude', -90, 90),
        longitude: num(input, 'longitude', -180, 180),
        name: str(input, 'name', false),
        address: str(input, 'address', false),
      };
    case 'contact':
      return { ...base, type, displayName: str(input, 'displayName', true)!, vcard: str(input, 'vcard', true)! };
    case 'reaction':
      return { ...base, type, targetId: str(input, 'targetId', true)!, emoji: str(input, 'emoji', false) ?? '' };
    case 'edit':
      return { ...base, type, targetId: str(input, 'targetId', true)!, text: str(input, 'text', true)! };
    case 'revoke':
      return { ...base, type, targetId: str(input, 'targetId', true)! };
  }
}
