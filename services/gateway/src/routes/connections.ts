/**
 * Connections (docs/api.md): thin forwards to the connection service. Bodies are parsed here
 * with the command's own schema (ConnectionBody: `name must be a string`, …); the service checks ids (400
 * `Invalid connection id`) and ownership (404/403) and answers 503 + Retry-After while no replica holds a
 * session yet. Media bytes come back base64 over RabbitMQ and are streamed here with their content type.
 */
import { z } from 'zod';
import {
  ChatSummary,
  ConnectionBody,
  ConnectionMe,
  ConnectionView,
  CreateConnection,
  DeleteConnection,
  GetConnectionMe,
  GetConnectionMedia,
  GetConnectionQr,
  GetContactPicture,
  GetOrCreateConnection,
  ListChatMessages,
  ListConnectionChats,
  ListConnections,
  QrReply,
  ReadConnection,
  RestartConnection,
  UpdateConnection,
} from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';
import { MEDIA_SECURITY_HEADERS, mediaContentType } from '../http/media-content-type.js';

const ConnectionId = z.string().meta({ description: 'The connection id (uuid)' });
const idParams = z.object({ id: ConnectionId });
const tag = 'connections';

export const connectionRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/connections',
    auth: true,
    tag,
    summary: "The caller's connections that are not stopped",
    response: z.array(ConnectionView),
    handler: ({ broker, user }) => broker.request(ListConnections, { userId: user.id }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections',
    auth: true,
    tag,
    summary: 'Create a connection (201 pending); poll GET /api/connections/:id/qr for its QR',
    body: ConnectionBody,
    response: ConnectionView,
    errors: [400, 403],
    handler: ({ broker, user, body }) => broker.request(CreateConnection, { userId: user.id, name: body.name }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/get-or-create',
    auth: true,
    tag,
    summary: 'The newest idle connection (or a new one) and its QR (raw base64 PNG), waiting up to about 20 s',
    response: GetOrCreateConnection.reply,
    handler: ({ broker, user }) => broker.request(GetOrCreateConnection, { userId: user.id }, { timeoutMs: 30_000 }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id',
    auth: true,
    tag,
    summary: 'One connection, stopped ones included',
    params: idParams,
    response: ConnectionView,
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) => broker.request(ReadConnection, { userId: user.id, connectionId: params.id }),
  }),
  defineRoute({
    method: 'patch',
    path: '/api/connections/:id',
    auth: true,
    tag,
    summary: 'Rename a connection ("" clears the name)',
    params: idParams,
    body: ConnectionBody,
    response: ConnectionView,
    errors: [400, 403, 404],
    handler: ({ broker, user, params, body }) =>
      broker.request(UpdateConnection, { userId: user.id, connectionId: params.id, name: body.name }),
  }),
  defineRoute({
    method: 'delete',
    path: '/api/connections/:id',
    auth: true,
    tag,
    summary: 'Log the number out, stop the session for real and mark the connection stopped (idempotent)',
    params: idParams,
    response: ConnectionView,
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(DeleteConnection, { userId: user.id, connectionId: params.id }, { timeoutMs: 30_000 }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:id/restart',
    auth: true,
    tag,
    summary: 'Log out and show a new QR',
    params: idParams,
    response: ConnectionView,
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(RestartConnection, { userId: user.id, connectionId: params.id }, { timeoutMs: 30_000 }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/qr',
    auth: true,
    tag,
    summary: 'QR {value: base64 PNG, mimetype}, {connected:true} once linked, 503 + Retry-After while not ready',
    params: idParams,
    response: QrReply,
    errors: [400, 403, 404, 503],
    handler: ({ broker, user, params }) =>
      broker.request(GetConnectionQr, { userId: user.id, connectionId: params.id }, { timeoutMs: 15_000 }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/me',
    auth: true,
    tag,
    summary: 'The linked account {id, pushName} from the current credentials, or null',
    params: idParams,
    response: ConnectionMe,
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(GetConnectionMe, { userId: user.id, connectionId: params.id }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/chats',
    auth: true,
    tag,
    summary: 'The 20 most recent chats',
    params: idParams,
    response: z.array(ChatSummary),
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(ListConnectionChats, { userId: user.id, connectionId: params.id }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/chats/:chatId/messages',
    auth: true,
    tag,
    summary: 'Up to 50 recent messages of a chat (WAHA message objects)',
    params: z.object({
      id: ConnectionId,
      chatId: z.string().meta({ description: 'A chat id: `<digits>@c.us` (or @s.whatsapp.net), `<id>@g.us`, …' }),
    }),
    response: z.array(z.unknown()),
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(ListChatMessages, { userId: user.id, connectionId: params.id, chatId: params.chatId }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/contacts/:contactId/picture',
    auth: true,
    tag,
    summary: "A contact's profile picture URL, or null",
    params: z.object({
      id: ConnectionId,
      contactId: z.string().meta({ description: 'Phone number digits, optionally with @c.us or @s.whatsapp.net' }),
    }),
    response: z.object({ profilePictureUrl: z.string().nullable() }),
    errors: [400, 403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(GetContactPicture, { userId: user.id, connectionId: params.id, contactId: params.contactId }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/connections/:id/media/:file',
    auth: true,
    tag,
    summary: 'Inbound media of a message, downloaded and decrypted on demand (the URL in message events)',
    params: z.object({
      id: ConnectionId,
      file: z.string().meta({ description: 'The media file name from a message event URL' }),
    }),
    errors: [400, 403, 404, 503],
    handler: async ({ broker, user, params, res }) => {
      const media = await broker.request(
        GetConnectionMedia,
        { userId: user.id, connectionId: params.id, file: params.file },
        { timeoutMs: 60_000 },
      );
      res
        .status(200)
        .set(MEDIA_SECURITY_HEADERS)
        .type(mediaContentType(media.mimetype))
        .send(Buffer.from(media.base64, 'base64'));
    },
  }),
];
