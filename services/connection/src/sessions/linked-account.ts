/** The WhatsApp account a session is linked to, read from its current credentials (not the stale `sock.user`). */
import { jidDecode } from '@whiskeysockets/baileys';
import type { DatabaseAuthState } from '../auth/database-auth-state.js';
import { toChatId, type Me } from '../events/index.js';

/** `{ id: '<digits>@c.us', pushName? }`, or null while not linked. */
export function linkedAccount(auth: DatabaseAuthState | undefined): Me | null {
  const me = auth?.state.creds.me;
  if (!me?.id || !auth?.isLinked()) return null;
  return { id: toChatId(me.id)!, ...(me.name ? { pushName: me.name } : {}) };
}

/** The linked phone number (digits only), or null while not linked. */
export function linkedPhone(auth: DatabaseAuthState | undefined): string | null {
  const id = linkedAccount(auth) ? auth!.state.creds.me!.id : undefined;
  return id ? (jidDecode(id)?.user ?? null) : null;
}
