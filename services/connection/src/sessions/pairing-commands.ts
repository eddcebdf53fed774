/**
 * Pairing by phone-number code on the held session (contracts commands/pairing.ts): Baileys asks WhatsApp on the
 * registration socket (`link_code_companion_reg`, stage companion_hello) and returns the code the user types on
 * the phone; the phone then completes the pairing and the session links (515, login, `working`) as with a QR.
 */
import { handle, type CommandBinding } from '@wahooks/broker';
import { AppError, SessionPairCode, unavailable } from '@wahooks/contracts';
import { heldSession, type SessionLookup } from './held-socket.js';

export const alreadyLinked = () =>
  new AppError(
    409,
    'Connection is already linked to WhatsApp: POST /api/connections/:id/restart to link another phone',
  );

/** `ABCDEFGH` → `ABCD-EFGH`, as the phone shows the boxes. */
export const formatPairingCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4, 8)}`;

export function pairingCommands(lookup: SessionLookup): CommandBinding[] {
  return [
    handle(SessionPairCode, async ({ connectionId, phone }) => {
      const session = heldSession(lookup, connectionId);
      if (session.isLinked()) throw alreadyLinked();
      const sock = session.socket;
      // WhatsApp takes the request on a registration socket that is up: once it has shown its first QR.
      if (!sock?.ws.isOpen || !session.qr) throw unavailable('The session is not ready to pair yet, retry shortly', 2);
      const code = await sock.requestPairingCode(phone);
      return { code: formatPairingCode(code.toUpperCase()) };
    }),
  ];
}
