import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';
import { answerAppStateSync } from '../app-state.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { handleLinkCodeIq } from '../pairing-code.js';
import { handleGroupIq } from './groups.js';
import { answerKeyFetch, digestNode, storeUploadedBundle } from './prekeys.js';
import { childrenOf, replyResult } from './reply.js';
import { startSession } from './session-start.js';
import { answerUsync } from './usync.js';

const PRIVACY_CATEGORIES = ['readreceipts', 'last', 'online', 'profile', 'status', 'groupadd'];

/** Every iq a Baileys 7 client sends gets an answer: an unanswered query stalls it for defaultQueryTimeoutMs. */
export function handleIq(ctx: ServerContext, connection: Connection, node: BinaryNode): void {
  const { xmlns, type } = node.attrs;
  const child = childrenOf(node)[0];
  const account = connection.account;

  if (type === 'result' && getBinaryNodeChild(node, 'pair-device-sign')) {
    // paired: the real server ends the stream with 515 and the client reconnects to log in
    connection.streamError('515');
    return;
  }
  if (type === 'result' || type === 'error') return;

  if (xmlns === 'md' && getBinaryNodeChild(node, 'link_code_companion_reg')) {
    void handleLinkCodeIq(ctx, connection, node).catch((error: unknown) => ctx.options.log('pairing code', error));
    return;
  }

  if (xmlns === 'encrypt' && account) {
    if (child?.tag === 'count') {
      replyResult(connection, node, [{ tag: 'count', attrs: { value: `${account.bundle?.preKeys.length ?? 0}` } }]);
      return;
    }
    if (type === 'set' && getBinaryNodeChild(node, 'list')) {
      storeUploadedBundle(account, node);
      replyResult(connection, node);
      return;
    }
    if (child?.tag === 'digest') {
      replyResult(connection, node, [digestNode(account)]);
      return;
    }
    if (child?.tag === 'key') {
      replyResult(connection, node, [answerKeyFetch(ctx, child)]);
      return;
    }
  }
  if (xmlns === 'w:g2') {
    handleGroupIq(ctx, connection, node);
    return;
  }
  if (xmlns === 'passive') {
    replyResult(connection, node);
    if (child?.tag === 'active') startSession(ctx, connection);
    return;
  }
  if (xmlns === 'usync') {
    replyResult(connection, node, [answerUsync(ctx, getBinaryNodeChild(node, 'usync')!)]);
    return;
  }
  if (xmlns === 'abt' || xmlns === 'w') {
    // AB prop 10518 off: no <tctoken> attached to sends
    replyResult(connection, node, [
      {
        tag: 'props',
        attrs: { protocol: '1', hash: 'wa-emulator-props-1' },
        content: [{ tag: 'prop', attrs: { config_code: '10518', config_value: 'false' } }],
      },
    ]);
    return;
  }
  if (xmlns === 'blocklist') {
    replyResult(connection, node, [{ tag: 'list', attrs: {} }]);
    return;
  }
  if (xmlns === 'privacy' && child?.tag === 'privacy') {
    replyResult(connection, node, [
      {
        tag: 'privacy',
        attrs: {},
        content: PRIVACY_CATEGORIES.map((name) => ({
          tag: 'category',
          attrs: { name, value: name === 'readreceipts' ? 'all' : 'contacts' },
        })),
      },
    ]);
    return;
  }
  if (xmlns === 'w:sync:app:state') {
    // patches after the client's version of each collection (app-state.ts); empty where nothing changed
    void answerAppStateSync(connection, node).catch((error: unknown) => ctx.options.log('app-state sync', error));
    return;
  }
  if (xmlns === 'w:m' && child?.tag === 'media_conn') {
    replyResult(connection, node, [
      {
        tag: 'media_conn',
        attrs: { auth: 'wa-emulator-media-auth', ttl: '3600' },
        content: [{ tag: 'host', attrs: { hostname: ctx.media.uploadHost, maxContentLengthBytes: '67108864' } }],
      },
    ]);
    return;
  }
  if (xmlns === 'w:profile:picture' && type === 'get') {
    const target = node.attrs.target;
    const url = target ? ctx.directory.contactForJid(target)?.profile.pictureUrl : undefined;
    replyResult(connection, node, url ? [{ tag: 'picture', attrs: { url, id: '1', type: 'preview' } }] : undefined);
    return;
  }
  if (xmlns === 'md' && child?.tag === 'remove-companion-device' && account) {
    // sock.logout(): the companion unlinks itself
    account.loggedOut = true;
    replyResult(connection, node);
    return;
  }
  // w:p ping, privacy tokens (tctoken issuance after each 1:1 send), w:stats, dirty, …
  replyResult(connection, node);
}
