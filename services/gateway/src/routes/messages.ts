/**
 * Messaging (docs/api.md): every send, react, mark-read, typing, and a sent message's
 * status, edit and revoke. Bodies are validated here with the contracts' schemas (the original API's 400 messages); the
 * messaging service does the rest (ownership 404/403, not linked 409, no session owner 503, media, ordering,
 * idempotency) and answers 201 `{id, timestamp, status}` once WhatsApp has the message.
 *
 * Base64 media: the bytes are decoded here and staged in Redis (`StagedUpload`) rather than sent over the broker
 * (no broker message carries more than 1 MB); only media routes take bodies that large (MEDIA_BODY_LIMIT), JSON
 * routes take at most 1 MB.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { rpcFailureOf } from '@wahooks/broker';
import {
  AppError,
  badRequest,
  ChatBody,
  decodeBase64Data,
  EditedMessage,
  EditMessageBody,
  GetMessageStatus,
  IdempotencyKey,
  MarkChatRead,
  MEDIA_UPLOAD_TTL_SECONDS,
  MessageStatusView,
  ReactBody,
  SEND_COMMAND_TIMEOUT_MS,
  SendAudioBody,
  SendContactBody,
  SendPollBody,
  SendContent,
  SendDocumentBody,
  SendImageBody,
  SendLocationBody,
  SendMessage,
  SendTextBody,
  SendVideoBody,
  SentMessage,
  SetTyping,
  Success,
  unavailable,
  type MediaKind,
  type StagedUpload,
} from '@wahooks/contracts';
import type { GatewayDeps } from '../deps.js';
import { defineRoute, type AuthUser } from '../http/define-route.js';

const tag = 'messages';
/** JSON routes: far above any text or caption (65,536 characters). */
const JSON_BODY_LIMIT = '1mb';
/** Base64 of the largest default media limit (documents, 100 MiB) with room for the JSON around it. */
const MEDIA_BODY_LIMIT = '136mb';

const idParams = z.object({ id: z.string().meta({ description: 'The connection id (uuid)' }) });
const messageParams = idParams.extend({
  messageId: z
    .string()
    .meta({ description: 'An `id` from a send response (`true_<chatId>_<id>`) or the bare WhatsApp id' }),
});

const idempotencyDoc =
  'Send an `Idempotency-Key` header (1–255 printable characters, per user, kept 24 h) to make retries safe: the same key with the same body returns the first response and sends nothing again; with another body it is a 422. A 504 means the outcome is unknown: retrying with the same key sends only if the first attempt did not.';
const sendErrors = [400, 403, 404, 409, 413, 415, 422, 503, 504];

function idempotencyKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const parsed = IdempotencyKey.safeParse(value);
  if (!parsed.success) throw badRequest('Idempotency-Key must be 1 to 255 printable ASCII characters');
  return parsed.data;
}

/** A send the messaging service took but did not answer in time may have gone out: say so (504), never 503. */
function outcomeUnknown(err: unknown, key: string | undefined): unknown {
  const why = rpcFailureOf(err);
  if (why !== 'timeout' && why !== 'lost') return err;
  return new AppError(
    504,
    `The outcome of this send is unknown: the messaging service did not answer in time. ${
      key
        ? 'Retry with the same Idempotency-Key: the message is sent only if it was not sent already.'
        : 'Retrying may send it twice; use an Idempotency-Key to retry safely.'
    }`,
  );
}

interface SendCall {
  broker: GatewayDeps['broker'];
  user: AuthUser;
  connectionId: string;
  headers: Record<string, string | string[] | undefined>;
  chatId?: string;
  content: z.input<typeof SendContent>;
  replyTo?: string;
  skipPresence?: boolean;
}

async function send(call: SendCall) {
  const key = idempotencyKey(call.headers);
  try {
    return await call.broker.request(
      SendMessage,
      {
        userId: call.user.id,
        connectionId: call.connectionId,
        chatId: call.chatId,
        content: call.content,
        replyTo: call.replyTo,
        skipPresence: call.skipPresence,
        idempotencyKey: key,
      },
      { timeoutMs: SEND_COMMAND_TIMEOUT_MS },
    );
  } catch (err) {
    throw outcomeUnknown(err, key);
  }
}

/** Decoded base64 bytes into Redis for the messaging service (and then the session owner) to read. */
async function stageUpload(deps: GatewayDeps, data: string): Promise<StagedUpload> {
  const decoded = decodeBase64Data(data);
  if (!decoded) throw badRequest('data must be valid base64'); // the body schema refused it already
  if (!deps.redis.isReady) throw unavailable('Media staging is unavailable, retry shortly');
  const key = `${deps.config.REDIS_PREFIX}messaging:upload:${randomUUID()}`;
  await deps.redis.set(key, decoded.bytes, { expiration: { type: 'EX', value: MEDIA_UPLOAD_TTL_SECONDS } });
  return {
    kind: 'upload',
    key,
    size: decoded.bytes.length,
    sha256: createHash('sha256').update(decoded.bytes).digest('hex'),
    mimetype: decoded.mimetype,
  };
}

type MediaBody = {
  chatId?: string;
  url?: string;
  data?: string;
  mimetype?: string;
  caption?: string;
  filename?: string;
  skipPresence?: boolean;
};

const mediaRoute = (kind: MediaKind, path: string, schema: z.ZodType<MediaBody>, summary: string) =>
  defineRoute({
    method: 'post',
    path: `/api/connections/:id/${path}`,
    auth: true,
    tag,
    summary,
    description: `Media by \`url\` (fetched by WAHooks) or by base64 \`data\`, within the size limit of its kind (413 above it). ${idempotencyDoc}`,
    params: idParams,
    body: schema,
    bodyLimit: MEDIA_BODY_LIMIT,
    response: SentMessage,
    errors: sendErrors,
    handler: async ({ broker, deps, user, params, body, req }) => {
      idempotencyKey(req.headers); // a bad header is refused before any bytes are staged
      const source = body.url ? { kind: 'url' as const, url: body.url } : await stageUpload(deps, body.data!);
      const common = { media: source, mimetype: body.mimetype || undefined };
      const content =
        kind === 'audio'
          ? { type: kind, ...common }
          : kind === 'document'
            ? { type: kind, ...common, caption: body.caption, filename: body.filename }
            : { type: kind, ...common, caption: body.caption };
      try {
        return await send({
          broker,
          user,
          connectionId: params.id,
          headers: req.headers,
          chatId: body.chatId,
          content,
          skipPresence: body.skipPresence,
        });
      } catch (err) {
        // Refused before the service took the bytes (e.g. 400 on the header): nothing will read them.
        if (source.kind === 'upload' && !(err instanceof AppError && err.statusCode === 504))
          await deps.redis.del(source.key).catch(() => undefined);
        throw err;
      }
    },
  });

const chatRoute = (path: string, summary: string, command: 'read' | 'typing' | 'stop') =>
  defineRoute({
    method: 'post',
    path: `/api/connections/:id/${path}`,
    auth: true,
    tag,
    summary,
    params: idParams,
    body: ChatBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: Success,
    errors: [400, 403, 404, 409, 503],
    handler: ({ broker, user, params, body }) =>
      command === 'read'
        ? broker.request(MarkChatRead, { userId: user.id, connectionId: params.id, chatId: body.chatId! })
        : broker.request(SetTyping, {
            userId: user.id,
            connectionId: params.id,
            chatId: body.chatId!,
            typing: command === 'typing',
          }),
  });

export const messageRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/send',
    auth: true,
    tag,
    summary: 'Send a text message',
    description: `Answers once WhatsApp has the message (after the presence simulation unless skipPresence). Messages to one chat go out in the order they were accepted. ${idempotencyDoc}`,
    params: idParams,
    body: SendTextBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: SentMessage,
    errors: sendErrors,
    handler: ({ broker, user, params, body, req }) =>
      send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        chatId: body.chatId,
        content: { type: 'text', text: body.text! },
        replyTo: body.replyTo || undefined,
        skipPresence: body.skipPresence,
      }),
  }),
  mediaRoute('image', 'send-image', SendImageBody, 'Send an image (with an optional caption)'),
  mediaRoute('document', 'send-document', SendDocumentBody, 'Send a document (file name and caption optional)'),
  mediaRoute('video', 'send-video', SendVideoBody, 'Send a video (with an optional caption)'),
  mediaRoute('audio', 'send-audio', SendAudioBody, 'Send a voice note (push-to-talk audio)'),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/send-location',
    auth: true,
    tag,
    summary: 'Send a location pin',
    description: idempotencyDoc,
    params: idParams,
    body: SendLocationBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: SentMessage,
    errors: sendErrors,
    handler: ({ broker, user, params, body, req }) =>
      send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        chatId: body.chatId,
        content: {
          type: 'location',
          latitude: body.latitude!,
          longitude: body.longitude!,
          name: body.name || undefined,
          address: body.address || undefined,
        },
        skipPresence: body.skipPresence,
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/send-contact',
    auth: true,
    tag,
    summary: 'Send a contact card (vCard)',
    description: idempotencyDoc,
    params: idParams,
    body: SendContactBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: SentMessage,
    errors: sendErrors,
    handler: ({ broker, user, params, body, req }) =>
      send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        chatId: body.chatId,
        content: { type: 'contact', contactName: body.contactName!, contactPhone: body.contactPhone! },
        skipPresence: body.skipPresence,
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/send-poll',
    auth: true,
    tag,
    summary: 'Send a poll; votes arrive as poll.vote events with the chosen option names',
    description: idempotencyDoc,
    params: idParams,
    body: SendPollBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: SentMessage,
    errors: sendErrors,
    handler: ({ broker, user, params, body, req }) =>
      send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        chatId: body.chatId,
        content: {
          type: 'poll',
          name: body.name!,
          options: body.options!,
          multipleAnswers: body.multipleAnswers ?? false,
        },
        skipPresence: body.skipPresence,
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/react',
    auth: true,
    tag,
    summary: 'React to a message with an emoji ("" removes the reaction)',
    description: idempotencyDoc,
    params: idParams,
    body: ReactBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: Success,
    errors: sendErrors,
    handler: async ({ broker, user, params, body, req }) => {
      await send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        chatId: body.chatId || undefined,
        content: { type: 'reaction', messageId: body.messageId!, reaction: body.reaction! },
        skipPresence: true,
      });
      return { success: true };
    },
  }),
  chatRoute('mark-read', 'Mark the chat read (blue ticks for its unread messages)', 'read'),
  chatRoute('typing', 'Show "typing…" in the chat', 'typing'),
  chatRoute('typing/stop', 'Stop showing "typing…" in the chat', 'stop'),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/messages/:messageId',
    auth: true,
    tag,
    summary: 'Status of a message sent through the API, with its history',
    description:
      '`status` is pending, sent, delivered, read, played or failed; it follows WhatsApp receipts (kept across restarts).',
    params: messageParams,
    response: MessageStatusView,
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(GetMessageStatus, { userId: user.id, connectionId: params.id, messageId: params.messageId }),
  }),
  defineRoute({
    method: 'put',
    path: '/api/connections/:id/messages/:messageId',
    auth: true,
    tag,
    summary: 'Edit the text of a text message this connection sent',
    description: idempotencyDoc,
    params: messageParams,
    body: EditMessageBody,
    bodyLimit: JSON_BODY_LIMIT,
    response: EditedMessage,
    errors: sendErrors,
    handler: async ({ broker, user, params, body, req }) => {
      const edit = await send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        content: { type: 'edit', messageId: params.messageId, text: body.text! },
        skipPresence: true,
      });
      return { id: targetId(edit.id, params.messageId), text: body.text!, timestamp: edit.timestamp };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/connections/:id/messages/:messageId',
    auth: true,
    tag,
    summary: 'Delete a message this connection sent, for everyone',
    description: idempotencyDoc,
    params: messageParams,
    response: Success,
    errors: sendErrors,
    handler: async ({ broker, user, params, req }) => {
      await send({
        broker,
        user,
        connectionId: params.id,
        headers: req.headers,
        content: { type: 'revoke', messageId: params.messageId },
        skipPresence: true,
      });
      return { success: true };
    },
  }),
];

/** The edited message's own id: its chat (from the edit's id) and the target's WhatsApp id. */
function targetId(editId: string, messageId: string): string {
  if (/^(true|false)_/.test(messageId)) return messageId;
  const chat = /^true_(.+)_[^_]+$/.exec(editId)?.[1];
  return chat ? `true_${chat}_${messageId}` : messageId;
}
