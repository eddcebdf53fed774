/**
 * The session-owned commands of the connection API (contracts commands/session.ts), answered by the replica
 * that holds the session: bound on `Exchanges.sessions` under each held connection id (session-manager.ts),
 * next to the messaging sends (send-commands.ts). A request that reaches a replica which no longer holds the
 * session (it lost the lease a moment ago) answers 404 `Session not held here`; the caller (session-client.ts)
 * treats it like unroutable: nobody holds it right now.
 */
import QRCode from 'qrcode';
import { handle, type CommandBinding } from '@wahooks/broker';
import {
  notFound,
  SessionLogout,
  SessionMe,
  SessionMedia,
  SessionPicture,
  SessionQr,
  SessionRelink,
} from '@wahooks/contracts';
import { toChatId, toJid } from '../events/index.js';
import type { WhatsAppSession } from './whatsapp-session.js';

/** What these commands use of a held session. */
export type HeldSession = Pick<
  WhatsAppSession,
  'qr' | 'me' | 'logout' | 'relink' | 'profilePictureUrl' | 'downloadMedia'
>;

/** QR strings rendered to PNG, kept (at most this many) because clients poll the QR every 2–3 s. */
const QR_CACHE_MAX = 1000;

export function sessionCommands(session: (connectionId: string) => HeldSession | undefined): CommandBinding[] {
  const held = (connectionId: string): HeldSession => {
    const s = session(connectionId);
    if (!s) throw notFound('Session not held here');
    return s;
  };

  const pngs = new Map<string, Promise<string>>();
  const renderQr = (qr: string): Promise<string> => {
    let png = pngs.get(qr);
    if (!png) {
      png = QRCode.toBuffer(qr, { type: 'png', errorCorrectionLevel: 'L', margin: 2, scale: 6 }).then((b) =>
        b.toString('base64'),
      );
      pngs.set(qr, png);
      if (pngs.size > QR_CACHE_MAX) pngs.delete(pngs.keys().next().value as string);
    }
    return png;
  };

  return [
    handle(SessionQr, async ({ connectionId }) => {
      const s = held(connectionId);
      if (s.me()) return { connected: true as const };
      const qr = s.qr;
      if (!qr) return null;
      return { value: await renderQr(qr), mimetype: 'image/png' as const, raw: qr };
    }),

    handle(SessionMe, async ({ connectionId }) => held(connectionId).me()),

    handle(SessionLogout, async ({ connectionId }) => {
      await held(connectionId).logout();
      return { success: true as const };
    }),

    handle(SessionRelink, async ({ connectionId }) => {
      await held(connectionId).relink();
      return { success: true as const };
    }),

    handle(SessionMedia, async ({ connectionId, file }) => {
      const media = await held(connectionId).downloadMedia(file);
      if (!media) throw notFound('Media not found');
      return { mimetype: media.mimetype, base64: media.data.toString('base64') };
    }),

    handle(SessionPicture, async ({ connectionId, contactId }) => {
      const s = held(connectionId);
      const url = await s.profilePictureUrl(toJid(toChatId(contactId) ?? '')).catch(() => undefined);
      return { profilePictureUrl: url ?? null };
    }),
  ];
}
