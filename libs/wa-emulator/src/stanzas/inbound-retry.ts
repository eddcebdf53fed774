import {
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildUInt,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { Account } from '../accounts.js';
import type { ServerContext } from '../context.js';
import type { CompanionBundle } from '../signal-peers.js';
import { deliverFromContact } from './inbound.js';

/**
 * The client could not decrypt a contact's message and sends a retry receipt (`<receipt type="retry">` with
 * `<retry count>`, its `<registration>` id and, from the second try on, a fresh prekey bundle in `<keys>`).
 * The contact's phone answers as WhatsApp's does: it drops its session with the companion and sends the same
 * message, same id, on a new session (a pkmsg) built from those keys, or from the bundle the client uploaded.
 * At most `retryReceipts` resends per message, the same limit the emulator's contacts use for their own.
 */
export function resendOnRetry(ctx: ServerContext, account: Account, node: BinaryNode): void {
  const id = node.attrs.id;
  const sent = id ? account.inboundSent.get(id) : undefined;
  if (!sent || !account.bundle) return; // not one of ours (a group message, or long gone)
  if (sent.resends >= ctx.options.retryReceipts) return;
  sent.resends++;
  ctx.stats.inboundResends++;
  const fresh = bundleOf(node, account.bundle);
  ctx.options.log('client retry receipt', id, 'count', getBinaryNodeChild(node, 'retry')?.attrs.count, !!fresh);
  void sent.contact.peer.forgetSession(account.companionLid).then(() => {
    deliverFromContact(ctx, account, sent.contact, sent.message, sent.options, fresh);
  });
}

/** The prekey bundle a retry receipt carries in `<keys>` (type, identity, key, skey), if it carries one. */
function bundleOf(node: BinaryNode, uploaded: CompanionBundle): CompanionBundle | undefined {
  const keys = getBinaryNodeChild(node, 'keys');
  const key = getBinaryNodeChild(keys, 'key');
  const skey = getBinaryNodeChild(keys, 'skey');
  const identity = getBinaryNodeChildBuffer(keys, 'identity');
  if (!keys || !key || !skey || !identity) return undefined;
  return {
    registrationId: getBinaryNodeChildUInt(node, 'registration', 4) ?? uploaded.registrationId,
    identity,
    signedPreKey: {
      id: getBinaryNodeChildUInt(skey, 'id', 3)!,
      value: getBinaryNodeChildBuffer(skey, 'value')!,
      signature: getBinaryNodeChildBuffer(skey, 'signature')!,
    },
    preKeys: [{ id: getBinaryNodeChildUInt(key, 'id', 3)!, value: getBinaryNodeChildBuffer(key, 'value')! }],
  };
}
