/** Commands answered by the connection service. */
import { z } from 'zod';
import { defineCommand } from '../define.js';

export const ConnectionStatus = z.enum(['pending', 'scan_qr', 'working', 'failed', 'stopped']);

/** Lets other services resolve ownership when their local projection has not seen the connection yet. */
export const GetConnection = defineCommand({
  name: 'connection.connection.get',
  version: 1,
  request: z.object({ connectionId: z.uuid() }),
  reply: z.object({ id: z.uuid(), userId: z.uuid(), status: ConnectionStatus }),
  summary: 'Owner and status of one connection; 404 Connection not found',
});

/* ---- The connection API (docs/api.md), answered by any connection replica. ---- */

/** Path ids travel as strings: the service answers 400 `Invalid connection id` for a malformed one. */
const PathId = z.string();
const UserId = z.uuid();

/** The connection object; internal `working` is shown as `connected` in every reply. */
export const ConnectionView = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  workerId: z.string().nullable(), // the replica that holds the session, when one does
  name: z.string().nullable(),
  sessionName: z.string(),
  phoneNumber: z.string().nullable(),
  status: z.enum(['pending', 'scan_qr', 'connected', 'failed', 'stopped']),
  engine: z.string(),
  createdAt: z.string(), // ISO-8601
  updatedAt: z.string(),
});
export type ConnectionView = z.infer<typeof ConnectionView>;

const Owned = z.object({ userId: UserId, connectionId: PathId });

export const ListConnections = defineCommand({
  name: 'connection.connection.list',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: z.array(ConnectionView),
  summary: "The caller's connections that are not stopped",
});

/**
 * A display name: a string of at most 200 characters; `""` (or only spaces) and null clear it. Absent leaves it
 * unchanged (PATCH) or unset (create).
 */
export const ConnectionName = z
  .string({ error: 'name must be a string' })
  .max(200, { error: 'name must be at most 200 characters' })
  // Postgres text cannot hold U+0000 (it would fail there as a 500)
  .refine((name) => !name.includes('\u0000'), { error: 'name must not contain NUL characters' })
  .nullable()
  .transform((name) => (name === null || name.trim() === '' ? null : name))
  .meta({ description: 'Display name, at most 200 characters; "" or null clears it' });

/** The body of POST /api/connections (optional) and PATCH /api/connections/:id. Other fields are ignored. */
export const ConnectionBody = z.object({ name: ConnectionName.optional() });

export const CreateConnection = defineCommand({
  name: 'connection.connection.create',
  version: 1,
  request: ConnectionBody.extend({ userId: UserId }),
  reply: ConnectionView,
  summary: 'Create a connection (201, pending); a replica claims it and shows a QR. 400 name must be a string',
});

export const ReadConnection = defineCommand({
  name: 'connection.connection.read',
  version: 1,
  request: Owned,
  reply: ConnectionView,
  summary: 'One connection, stopped ones included; 400/403/404',
});

export const UpdateConnection = defineCommand({
  name: 'connection.connection.update',
  version: 1,
  request: Owned.extend(ConnectionBody.shape),
  reply: ConnectionView,
  summary: 'Rename ("" becomes null); 400/403/404',
});

export const DeleteConnection = defineCommand({
  name: 'connection.connection.delete',
  version: 1,
  request: Owned,
  reply: ConnectionView,
  summary: 'Log the number out, stop the socket, mark stopped; idempotent',
});

export const RestartConnection = defineCommand({
  name: 'connection.connection.restart',
  version: 1,
  request: Owned,
  reply: ConnectionView,
  summary: 'Log out and show a new QR (scan again)',
});

export const QrReply = z.union([
  z.object({ value: z.string(), mimetype: z.literal('image/png') }), // base64 PNG, no data: prefix
  z.object({ connected: z.literal(true) }),
]);

export const GetConnectionQr = defineCommand({
  name: 'connection.connection.qr',
  version: 1,
  request: Owned,
  reply: QrReply,
  summary: 'QR as base64 PNG, {connected:true} once linked, 503 + Retry-After while no QR is ready',
});

export const GetOrCreateConnection = defineCommand({
  name: 'connection.connection.get-or-create',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: z.object({ id: z.uuid(), status: z.enum(['pending', 'scan_qr', 'connected']), qr: z.string().nullable() }),
  summary: 'Newest idle connection (or a new one) and its QR, waiting a bounded time',
});

export const ConnectionMe = z.object({ id: z.string(), pushName: z.string().optional() }).nullable();

export const GetConnectionMe = defineCommand({
  name: 'connection.connection.me',
  version: 1,
  request: Owned,
  reply: ConnectionMe,
  summary: 'The linked account from the current credentials, or null',
});

export const ChatSummary = z.object({
  id: z.string(),
  name: z.string().nullable(),
  conversationTimestamp: z.number(),
  unreadCount: z.number(),
  archived: z.boolean(),
});

export const ListConnectionChats = defineCommand({
  name: 'connection.connection.chats',
  version: 1,
  request: Owned,
  reply: z.array(ChatSummary),
  summary: 'The 20 most recent chats, newest first',
});

export const ListChatMessages = defineCommand({
  name: 'connection.connection.chat-messages',
  version: 1,
  request: Owned.extend({ chatId: z.string() }),
  reply: z.array(z.unknown()),
  summary: 'Up to 50 recent messages of one chat (WAHA message shape)',
});

export const MediaFile = z.object({ mimetype: z.string(), base64: z.string() });

export const GetConnectionMedia = defineCommand({
  name: 'connection.connection.media',
  version: 1,
  request: Owned.extend({ file: z.string() }),
  reply: MediaFile,
  summary: 'Inbound media, downloaded and decrypted on demand by the replica holding the session; 404 Media not found',
});

export const GetContactPicture = defineCommand({
  name: 'connection.connection.contact-picture',
  version: 1,
  request: Owned.extend({ contactId: z.string() }),
  reply: z.object({ profilePictureUrl: z.string().nullable() }),
  summary: "A contact's profile picture URL, or null",
});
