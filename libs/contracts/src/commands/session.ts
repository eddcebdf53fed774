/**
 * Session-owned commands of the connection API: the connection replica that answered an HTTP-facing command
 * (any replica, see connection.ts) asks the one replica holding the connection's WhatsApp socket to act on it.
 * Routed on `Exchanges.sessions` with routing key = connection id, bound only by the holder: unroutable → 503
 * (no replica holds the session yet), 404 `Session not held here` when the holder lost it a moment ago. Both
 * mean "not held right now" to the caller. Requests and replies are internal: the HTTP shapes are in
 * connection.ts. The messaging service's sends on the same exchange are in session-send.ts.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';
import { ConnectionMe, MediaFile } from './connection.js';

const Session = z.object({ connectionId: z.uuid() });
const Done = z.object({ success: z.literal(true) });

export const SessionQr = defineCommand({
  name: 'connection.session.qr',
  version: 1,
  request: Session,
  reply: z.union([
    z.object({
      value: z.string(), // base64 PNG, no data: prefix (rendered once per QR string by the holder)
      mimetype: z.literal('image/png'),
      raw: z.string(), // the QR string itself (what a phone scans); internal, never shown over HTTP
    }),
    z.object({ connected: z.literal(true) }), // linked: no QR any more
    z.null(), // held, but the socket has not produced a QR yet
  ]),
  summary: 'The live QR of a session waiting to be linked, {connected:true} once linked, null before the first QR',
});

export const SessionMe = defineCommand({
  name: 'connection.session.me',
  version: 1,
  request: Session,
  reply: ConnectionMe,
  summary: "The linked account from the holder's current credentials, or null",
});

export const SessionLogout = defineCommand({
  name: 'connection.session.logout',
  version: 1,
  request: Session,
  reply: Done,
  summary: 'Log the number out and close the socket for good (connection delete)',
});

export const SessionRelink = defineCommand({
  name: 'connection.session.relink',
  version: 1,
  request: Session,
  reply: Done,
  summary: 'Log out and start over with a new QR (connection restart)',
});

export const SessionMedia = defineCommand({
  name: 'connection.session.media',
  version: 1,
  request: Session.extend({ file: z.string().min(1) }), // the media file name of a message event's URL
  reply: MediaFile,
  summary: 'Download and decrypt the media of a stored message; 404 Media not found',
});

export const SessionPicture = defineCommand({
  name: 'connection.session.picture',
  version: 1,
  request: Session.extend({ contactId: z.string().min(1) }), // `<digits>@c.us` or `<digits>@s.whatsapp.net`
  reply: z.object({ profilePictureUrl: z.string().nullable() }),
  summary: "A contact's profile picture URL from WhatsApp, or null (none, hidden, or the lookup failed)",
});
