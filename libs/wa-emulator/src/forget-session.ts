import type { Account, Contact } from './accounts.js';

/**
 * The contact's phone loses its Signal sessions with the linked account (a reinstall, a lost key store, or a
 * sender that went on from an older copy of its ratchet): the next message the client sends it arrives
 * undecryptable, and the contact answers with a retry receipt (option `retryReceipts`). Returns how many
 * sessions were dropped.
 */
export function forgetContactSessions(account: Account, contact: Contact): { dropped: number } {
  const sessions = contact.peer.keys.tables.session ?? {};
  const ours = (address: string) => {
    const user = address.split('.')[0]!.split('_')[0]!; // libsignal address: <user>[_<agent>].<device>
    return user === account.phone || user === account.lidUser;
  };
  let dropped = 0;
  for (const address of Object.keys(sessions)) {
    if (!ours(address)) continue;
    delete sessions[address];
    dropped++;
  }
  return { dropped };
}
