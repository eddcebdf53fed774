/**
 * What the session-owned parity commands (pairing, number checks, groups) share: the held session of a request,
 * its live socket, and WhatsApp's refusals (Baileys throws a Boom with WhatsApp's error code in `data`) as the
 * HTTP errors the caller shows.
 */
import type { WASocket } from '@whiskeysockets/baileys';
import { AppError, badRequest, forbidden, notFound } from '@wahooks/contracts';
import { notLinked, socketDown } from './outbound/send-errors.js';
import type { WhatsAppSession } from './whatsapp-session.js';

/** What these commands use of a held session. */
export type HeldSocketSession = Pick<WhatsAppSession, 'socket' | 'isLinked' | 'qr' | 'me'>;
export type SessionLookup = (connectionId: string) => HeldSocketSession | undefined;

/** The session, or 404 `Session not held here` (the caller treats it like unroutable: nobody holds it now). */
export function heldSession(lookup: SessionLookup, connectionId: string): HeldSocketSession {
  const session = lookup(connectionId);
  if (!session) throw notFound('Session not held here');
  return session;
}

/** The socket of a linked session: 409 when not linked, 503 while it reconnects. */
export function linkedSocket(session: HeldSocketSession): WASocket {
  if (!session.isLinked()) throw notLinked();
  const sock = session.socket;
  if (!sock?.ws.isOpen) throw socketDown();
  return sock;
}

/** WhatsApp's code for a refused query (`<error code=…>`), or the Boom status. */
function codeOf(err: unknown): number | undefined {
  const e = err as { data?: unknown; output?: { statusCode?: number } };
  if (typeof e?.data === 'number') return e.data;
  return e?.output?.statusCode;
}

/**
 * A failed WhatsApp query as an AppError: 404 `notFound`, 403 not allowed, 400 refused as malformed; a closed
 * socket is a 503 (retry); anything else a 502. AppErrors pass through.
 */
export function whatsappFailure(err: unknown, messages: { notFound: string; forbidden: string }): AppError {
  if (err instanceof AppError) return err;
  const code = codeOf(err);
  const text = (err as Error)?.message ?? String(err);
  if (code === 404) return notFound(messages.notFound);
  if (code === 401 || code === 403) return forbidden(messages.forbidden);
  if (code === 400 || code === 406) return badRequest(`WhatsApp refused the request: ${text}`);
  if (code === 428 || /connection closed/i.test(text)) return socketDown();
  if (code === 408) return new AppError(504, 'WhatsApp did not answer in time');
  return new AppError(502, `WhatsApp failed the request: ${text}`);
}
