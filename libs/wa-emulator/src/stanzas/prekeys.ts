import {
  KEY_BUNDLE_TYPE,
  encodeBigEndian,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildUInt,
  getBinaryNodeChildren,
  sha256,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { Account } from '../accounts.js';
import type { ServerContext } from '../context.js';
import type { CompanionBundle } from '../signal-peers.js';

/** `iq encrypt set`: the companion uploads registration id, identity, signed prekey and one-time prekeys. */
export function storeUploadedBundle(account: Account, node: BinaryNode): void {
  const skey = getBinaryNodeChild(node, 'skey');
  const preKeys = getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'key').map((key) => ({
    id: getBinaryNodeChildUInt(key, 'id', 3)!,
    value: getBinaryNodeChildBuffer(key, 'value')!,
  }));
  const registrationId = getBinaryNodeChildUInt(node, 'registration', 4);
  const identity = getBinaryNodeChildBuffer(node, 'identity');
  if (registrationId === undefined || !identity || !skey) {
    // a top-up upload only carries <list>: keep the identity we have
    if (account.bundle) account.bundle.preKeys.push(...preKeys);
    return;
  }
  const bundle: CompanionBundle = {
    registrationId,
    identity,
    signedPreKey: {
      id: getBinaryNodeChildUInt(skey, 'id', 3)!,
      value: getBinaryNodeChildBuffer(skey, 'value')!,
      signature: getBinaryNodeChildBuffer(skey, 'signature')!,
    },
    preKeys,
  };
  account.bundle = bundle;
}

/** Baileys 7 checks the key-bundle digest after login; a result without <digest> makes it re-upload. */
export function digestNode(account: Account): BinaryNode {
  const bundle = account.bundle;
  return {
    tag: 'digest',
    attrs: {},
    content: [
      { tag: 'registration', attrs: {}, content: encodeBigEndian(bundle?.registrationId ?? 0) },
      { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
      { tag: 'identity', attrs: {}, content: bundle?.identity ?? Buffer.alloc(32) },
      {
        tag: 'list',
        attrs: {},
        content: (bundle?.preKeys ?? [])
          .slice(0, 5)
          .map((k) => ({ tag: 'id', attrs: {}, content: encodeBigEndian(k.id, 3) })),
      },
      { tag: 'hash', attrs: {}, content: sha256(Buffer.from('wa-emulator')) },
    ],
  };
}

/** `iq encrypt get <key>`: bundles of the requested users' device 0 (Baileys 7 asks by LID). */
export function answerKeyFetch(ctx: ServerContext, keyNode: BinaryNode): BinaryNode {
  const jids = getBinaryNodeChildren(keyNode, 'user').map((u) => u.attrs.jid!);
  return {
    tag: 'list',
    attrs: {},
    content: jids.map((jid) => {
      const peer = ctx.directory.peerForJid(jid);
      return peer
        ? peer.bundleNode(jid)
        : { tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] };
    }),
  };
}
