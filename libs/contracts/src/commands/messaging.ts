/**
 * The messaging API (docs/api.md): the HTTP bodies, which the gateway validates with
 * these schemas and documents in OpenAPI from them, and the commands it turns each request into for the
 * messaging service. Messages are the original API's: one string per problem, written for the client.
 *
 * Media bytes never ride on the broker (no message over 1 MB): the gateway decodes a base64 `data` body and
 * stages the bytes in Redis (`StagedUpload`), the messaging service fetches `url` media itself, and the owner of
 * the WhatsApp session reads the bytes from Redis (`MediaRef`, session-send.ts).
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';

/* ---------------------------------------------------------------- field rules ---------------------------------------------------------------- */

/** `…@c.us`, `…@s.whatsapp.net`, `…@g.us`, `…@lid`, or a phone number (`+`, spaces, dashes and dots allowed). */
export const CHAT_ID_PATTERN = /^(?:\d{5,20}@(?:c\.us|s\.whatsapp\.net)|\d{5,20}(?:-\d{1,20})?@g\.us|\d{1,30}@lid)$/;
const PHONE_PATTERN = /^\+?[\d\s().-]+$/;
const digitsOf = (s: string) => s.replace(/\D/g, '');

export const isChatId = (value: string): boolean =>
  CHAT_ID_PATTERN.test(value) || (PHONE_PATTERN.test(value) && /^\d{5,20}$/.test(digitsOf(value)));

const CHAT_ID_FORMAT =
  'chatId must be a phone number or a chat id ending in @c.us, @s.whatsapp.net, @g.us or @lid (e.g. 15551234567@c.us)';

/** Text limits (characters): WhatsApp's own text cap is 65,536. */
export const MAX_TEXT_LENGTH = 65_536;

/** Present and not blank (the "required" checks below treat "" like a missing field). */
const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

const text = (field: string, description: string, max = MAX_TEXT_LENGTH) =>
  z
    .string({ error: `${field} must be a string` })
    .max(max, `${field} must be at most ${max} characters`)
    .optional()
    .describe(description);

const chatIdField = (
  description = 'The chat: a phone number (digits, `+`, spaces and dashes allowed) or a WhatsApp id: `<digits>@c.us` or `<digits>@s.whatsapp.net` for a person, `<id>@g.us` for a group, `<id>@lid` for a person by LID.',
) =>
  z
    .string({ error: 'chatId must be a string' })
    .refine((v) => v === '' || isChatId(v.trim()), CHAT_ID_FORMAT)
    .optional()
    .describe(description);

const skipPresence = z
  .boolean({ error: 'skipPresence must be a boolean' })
  .optional()
  .describe(
    'true: send at once. Otherwise the chat is marked seen, "typing…" is shown for 1–8 s (longer for longer texts), then the message is sent; the request stays open meanwhile.',
  );

const replyTo = z
  .string({ error: 'replyTo must be a string' })
  .max(200, 'replyTo must be at most 200 characters')
  .optional()
  .describe(
    'Quote this message: an `id` from a send response (`true_<chatId>_<id>`), a webhook message id, or the bare WhatsApp message id.',
  );

/**
 * `fields` required together, reported once as `message` (e.g. "chatId and text are required"). Declared
 * optional on the object so a missing field is one object-level issue, not one per field; `meta` puts them back
 * in the JSON Schema's `required` list.
 */
function requireTogether<S extends z.ZodObject>(schema: S, fields: string[], message: string) {
  return schema
    .superRefine((value, ctx) => {
      const v = value as Record<string, unknown>;
      if (fields.some((f) => !present(v[f]))) ctx.addIssue({ code: 'custom', message });
    })
    .meta({ required: fields });
}

/* ---------------------------------------------------------------- HTTP bodies ---------------------------------------------------------------- */

export const SendTextBody = requireTogether(
  z.object({
    chatId: chatIdField(),
    text: text('text', 'The message text (at most 65,536 characters).'),
    replyTo,
    skipPresence,
  }),
  ['chatId', 'text'],
  'chatId and text are required',
);

export const MediaKinds = ['image', 'video', 'audio', 'document'] as const;
export type MediaKind = (typeof MediaKinds)[number];

/** The top-level media type a kind accepts (documents take any type). */
export const mediaTypeFits = (kind: MediaKind, mimetype: string): boolean => {
  const type = mimetype.split(';')[0]!.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(type)) return false;
  return kind === 'document' || type.startsWith(`${kind}/`);
};

const kindLabel: Record<MediaKind, string> = {
  image: 'an image/* type (e.g. image/jpeg)',
  video: 'a video/* type (e.g. video/mp4)',
  audio: 'an audio/* type (e.g. audio/ogg; codecs=opus)',
  document: 'a media type such as application/pdf',
};

/** Strict base64 (RFC 4648 alphabet, padded), optionally as a `data:<type>;base64,` URL. */
const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseBase64Data(data: string): { base64: string; mimetype?: string } | null {
  const prefix = DATA_URL.exec(data);
  const base64 = prefix ? data.slice(prefix[0].length) : data;
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) return null;
  return { base64, mimetype: prefix?.[1]?.toLowerCase() };
}

/** Decodes strictly (invalid → null): Node's own decoder skips bad characters silently. */
export function decodeBase64Data(data: string): { bytes: Buffer; mimetype?: string } | null {
  const parsed = parseBase64Data(data);
  if (!parsed) return null;
  return { bytes: Buffer.from(parsed.base64, 'base64'), mimetype: parsed.mimetype };
}

const mediaFields = (kind: MediaKind) => ({
  chatId: chatIdField(),
  url: z
    .string({ error: 'url must be a string' })
    .max(2048, 'url must be at most 2048 characters')
    .optional()
    .describe(
      'Fetch the media from this http(s) URL (at most 3 redirects; private, loopback, link-local and metadata addresses are refused).',
    ),
  data: z
    .string({ error: 'data must be a string' })
    .optional()
    .describe('The media bytes as base64 (or a `data:<type>;base64,…` URL). Give `url` or `data`, not both.'),
  mimetype: z
    .string({ error: 'mimetype must be a string' })
    .max(255, 'mimetype must be at most 255 characters')
    .optional()
    .describe(
      `Media type of the bytes, ${kindLabel[kind]}. Default: from the data URL, the URL's Content-Type or the bytes themselves.`,
    ),
  skipPresence,
});

const caption = text('caption', 'Text shown with the media.', 4096);
const filename = z
  .string({ error: 'filename must be a string' })
  .max(255, 'filename must be at most 255 characters')
  .optional()
  .describe('File name shown to the recipient (default: from the URL, else "file").');

function mediaBody<S extends z.ZodRawShape>(kind: MediaKind, extra: S) {
  return z
    .object({ ...mediaFields(kind), ...extra })
    .superRefine((value, ctx) => {
      const v = value as Record<string, unknown>;
      if (!present(v.chatId)) ctx.addIssue({ code: 'custom', message: 'chatId is required' });
      const hasUrl = present(v.url);
      const hasData = present(v.data);
      if (hasUrl === hasData) ctx.addIssue({ code: 'custom', message: 'exactly one of url or data is required' });
      if (hasData && typeof v.data === 'string' && !parseBase64Data(v.data))
        ctx.addIssue({ code: 'custom', message: 'data must be valid base64' });
      if (typeof v.mimetype === 'string' && v.mimetype !== '' && !mediaTypeFits(kind, v.mimetype))
        ctx.addIssue({ code: 'custom', message: `mimetype must be ${kindLabel[kind]}` });
    })
    .meta({ required: ['chatId'] });
}

export const SendImageBody = mediaBody('image', { caption });
export const SendVideoBody = mediaBody('video', { caption });
/** Sent as a voice note (ptt), like the original's sendVoice; no caption. */
export const SendAudioBody = mediaBody('audio', {});
export const SendDocumentBody = mediaBody('document', { caption, filename });

const coordinate = (field: 'latitude' | 'longitude', limit: number) =>
  z
    .number({ error: `${field} must be a number` })
    .min(-limit, `${field} must be between -${limit} and ${limit}`)
    .max(limit, `${field} must be between -${limit} and ${limit}`)
    .optional()
    .describe(`Degrees, -${limit} to ${limit}.`);

export const SendLocationBody = z
  .object({
    chatId: chatIdField(),
    latitude: coordinate('latitude', 90),
    longitude: coordinate('longitude', 180),
    name: text('name', 'Name of the place.', 1024),
    address: text('address', 'Address of the place.', 1024),
    skipPresence,
  })
  .superRefine((v, ctx) => {
    if (!present(v.chatId)) ctx.addIssue({ code: 'custom', message: 'chatId is required' });
    if (!present(v.latitude) || !present(v.longitude))
      ctx.addIssue({ code: 'custom', message: 'latitude and longitude are required' });
  })
  .meta({ required: ['chatId', 'latitude', 'longitude'] });

export const SendContactBody = z
  .object({
    chatId: chatIdField(),
    contactName: text('contactName', "The contact card's name (vCard FN).", 256),
    contactPhone: z
      .string({ error: 'contactPhone must be a string' })
      .max(64, 'contactPhone must be at most 64 characters')
      .refine(
        (v) => v === '' || /^\d{3,20}$/.test(digitsOf(v)),
        'contactPhone must contain a phone number (3 to 20 digits)',
      )
      .optional()
      .describe("The contact's phone number; everything but digits is dropped (vCard TEL with waid)."),
    skipPresence,
  })
  .superRefine((v, ctx) => {
    if (!present(v.chatId)) ctx.addIssue({ code: 'custom', message: 'chatId is required' });
    if (!present(v.contactName) || !present(v.contactPhone))
      ctx.addIssue({ code: 'custom', message: 'contactName and contactPhone are required' });
  })
  .meta({ required: ['chatId', 'contactName', 'contactPhone'] });

const messageIdField = z
  .string({ error: 'messageId must be a string' })
  .max(200, 'messageId must be at most 200 characters')
  .optional()
  .describe(
    'The message: an `id` from a send response (`true_<chatId>_<id>`), a webhook message id, or the bare WhatsApp id.',
  );

export const ReactBody = z
  .object({
    chatId: chatIdField('The chat of the message (may be left out when `messageId` is a full `true_…`/`false_…` id).'),
    messageId: messageIdField,
    reaction: z
      .string({ error: 'reaction must be a string' })
      .max(32, 'reaction must be at most 32 characters')
      .optional()
      .describe('One emoji; "" removes an earlier reaction.'),
  })
  .superRefine((v, ctx) => {
    const fullId = typeof v.messageId === 'string' && /^(true|false)_/.test(v.messageId);
    if (!present(v.messageId) || (!present(v.chatId) && !fullId))
      ctx.addIssue({ code: 'custom', message: 'chatId and messageId are required' });
    if (v.reaction === undefined || v.reaction === null)
      ctx.addIssue({ code: 'custom', message: 'reaction is required' });
  })
  .meta({ required: ['messageId', 'reaction'] });

/** mark-read, typing, typing/stop. */
export const ChatBody = requireTogether(z.object({ chatId: chatIdField() }), ['chatId'], 'chatId is required');

export const EditMessageBody = requireTogether(
  z.object({ text: text('text', 'The new text of a text message this connection sent.') }),
  ['text'],
  'text is required',
);

/** `Idempotency-Key` header: any printable ASCII, 1–255 characters; keys are per user and kept 24 h. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e][\x20-\x7e]{0,254}$/, 'Idempotency-Key must be 1 to 255 printable ASCII characters');

/* ---------------------------------------------------------------- replies ---------------------------------------------------------------- */

export const MessageStatuses = ['pending', 'sent', 'delivered', 'read', 'played', 'failed'] as const;
export const MessageStatus = z.enum(MessageStatuses);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const SentMessage = z.object({
  id: z
    .string()
    .describe(
      'WAHA-style message id `true_<chatId>_<messageId>` (persons as `<digits>@c.us`); pass it as `replyTo` or `messageId`.',
    ),
  timestamp: z.number().int().describe('When WhatsApp took the message, Unix seconds.'),
  status: MessageStatus.describe('Delivery status now; follow it with GET …/messages/{id} or `message.ack` webhooks.'),
});
export type SentMessage = z.infer<typeof SentMessage>;

export const Success = z.object({ success: z.literal(true) });

export const EditedMessage = z.object({
  id: z.string().describe('The edited message (`true_<chatId>_<messageId>`).'),
  text: z.string().describe('Its new text.'),
  timestamp: z.number().int().describe('When the edit was sent, Unix seconds.'),
});

export const MessageStatusView = z.object({
  id: z.string().describe('`true_<chatId>_<messageId>`'),
  chatId: z.string().describe('The chat, persons as `<digits>@c.us`.'),
  type: z.string().describe('text, image, video, audio, document, location, contact, reaction, edit, revoke or poll'),
  status: MessageStatus,
  statusHistory: z
    .array(z.object({ status: MessageStatus, at: z.string().describe('ISO-8601') }))
    .describe('Every status the message reached, oldest first.'),
  timestamp: z.number().int().describe('Unix seconds: when it was sent, or accepted if it has not been sent.'),
  error: z.string().optional().describe('Why it failed, or why its outcome is unknown.'),
});
export type MessageStatusView = z.infer<typeof MessageStatusView>;

/* ---------------------------------------------------------------- commands ---------------------------------------------------------------- */

/** Bytes the gateway decoded from a base64 body and put in Redis (`key`, full key, TTL MEDIA_UPLOAD_TTL_SECONDS). */
export const StagedUpload = z.object({
  kind: z.literal('upload'),
  key: z.string().min(1),
  size: z.number().int().nonnegative(), // bytes
  sha256: z.string().regex(/^[0-9a-f]{64}$/), // of the bytes: idempotency compares bodies by it
  mimetype: z.string().optional(), // from a data: URL
});
export type StagedUpload = z.infer<typeof StagedUpload>;
export const MEDIA_UPLOAD_TTL_SECONDS = 15 * 60;

export const MediaSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('url'), url: z.string().min(1) }),
  StagedUpload,
]);
export type MediaSource = z.infer<typeof MediaSource>;

const media = { media: MediaSource, mimetype: z.string().optional() };

/** What to send: the HTTP bodies above, with media as a URL or a staged upload. */
export const SendContent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1) }),
  z.object({ type: z.literal('image'), ...media, caption: z.string().optional() }),
  z.object({ type: z.literal('video'), ...media, caption: z.string().optional() }),
  z.object({ type: z.literal('audio'), ...media }),
  z.object({ type: z.literal('document'), ...media, filename: z.string().optional(), caption: z.string().optional() }),
  z.object({
    type: z.literal('location'),
    latitude: z.number(),
    longitude: z.number(),
    name: z.string().optional(),
    address: z.string().optional(),
  }),
  z.object({ type: z.literal('contact'), contactName: z.string().min(1), contactPhone: z.string().min(1) }),
  z.object({ type: z.literal('reaction'), messageId: z.string().min(1), reaction: z.string() }),
  z.object({ type: z.literal('edit'), messageId: z.string().min(1), text: z.string().min(1) }),
  z.object({ type: z.literal('revoke'), messageId: z.string().min(1) }),
  // polls.ts: SendPollBody
  z.object({
    type: z.literal('poll'),
    name: z.string().min(1),
    options: z.array(z.string().min(1)).min(2),
    multipleAnswers: z.boolean(),
  }),
]);
export type SendContent = z.infer<typeof SendContent>;

/**
 * The gateway's deadline for a send: the presence wait (≤ 8 s), the wait for earlier messages to the same chat
 * and the owner's send (MESSAGING_SEND_TIMEOUT_MS, 45 s by default) fit in it. The messaging service reads the
 * deadline from the request and always answers before it (a send it could not start in time is refused, 503).
 */
export const SEND_COMMAND_TIMEOUT_MS = 75_000;

export const SendMessage = defineCommand({
  name: 'messaging.message.send',
  version: 1,
  request: z.object({
    userId: z.uuid(),
    connectionId: z.string(), // the path id as given: 404 when malformed or unknown
    chatId: z.string().optional(), // as given (normalised by the service); optional for reaction/edit/revoke
    content: SendContent,
    replyTo: z.string().optional(),
    skipPresence: z.boolean().optional(),
    idempotencyKey: z.string().optional(),
  }),
  reply: SentMessage,
  summary:
    'Send one message (any type) on a connection: ordered per chat, presence unless skipPresence, idempotent per key. 504 outcome unknown',
});

export const GetMessageStatus = defineCommand({
  name: 'messaging.message.get',
  version: 1,
  request: z.object({ userId: z.uuid(), connectionId: z.string(), messageId: z.string() }),
  reply: MessageStatusView,
  summary: 'Status and status history of a message sent through the API; 404 Message not found',
});

export const MarkChatRead = defineCommand({
  name: 'messaging.chat.mark-read',
  version: 1,
  request: z.object({ userId: z.uuid(), connectionId: z.string(), chatId: z.string() }),
  reply: Success,
  summary: "Blue ticks for a chat's unread messages",
});

export const SetTyping = defineCommand({
  name: 'messaging.chat.typing',
  version: 1,
  request: z.object({ userId: z.uuid(), connectionId: z.string(), chatId: z.string(), typing: z.boolean() }),
  reply: Success,
  summary: 'Show (typing: true) or stop showing "typing…" in a chat',
});
