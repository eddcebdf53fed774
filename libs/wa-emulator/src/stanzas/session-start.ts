import { deflateSync } from 'node:zlib';
import { proto } from '@whiskeysockets/baileys';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { appStateKeyShare } from '../app-state.js';
import { sendFromPhone } from './phone-messages.js';

/**
 * After `iq passive <active/>`: the first login gets the app-state key share (from the account's own phone); then
 * the offline queue goes out with offline="1", then `<ib><offline count/>` releases Baileys' initial event buffer.
 * The first login also gets an inline INITIAL_BOOTSTRAP history sync afterwards: Baileys 7 holds events for up to
 * 20 s waiting for it (it must come after <ib offline>).
 */
export function startSession(ctx: ServerContext, connection: Connection): void {
  const account = connection.account;
  if (!account) return;
  connection.later(20, () => {
    void (async () => {
      let count = 0;
      const firstLogin = account.firstLogin;
      account.firstLogin = false;
      if (firstLogin) {
        await sendFromPhone(connection, appStateKeyShare(account), { offline: '1', category: 'peer' });
        count++;
      }
      while (account.offlineQueue.length && connection.isOpen) {
        const job = account.offlineQueue.shift()!;
        try {
          await job(connection, true);
          count++;
        } catch (error) {
          ctx.options.log('offline delivery failed', error);
        }
      }
      if (!connection.isOpen) return;
      connection.sendNode({ tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: `${count}` } }] });
      connection.active = true;
      if (firstLogin) {
        connection.later(30, () => {
          sendFromPhone(connection, historySyncNotification(ctx)).catch((e: unknown) =>
            ctx.options.log('history sync', e),
          );
        });
      }
    })().catch((error: unknown) => ctx.options.log('session start failed', error));
  });
}

function historySyncNotification(ctx: ServerContext): proto.IMessage {
  const mappings = ctx.directory.knownContacts().map(({ peer }) => ({ pnJid: peer.pnJid, lidJid: peer.lidJid }));
  const history = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations: [],
    phoneNumberToLidMappings: mappings,
    progress: 100,
  }).finish();
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
        progress: 100,
        chunkOrder: 0,
        initialHistBootstrapInlinePayload: deflateSync(history), // inline: no CDN download
      },
    },
  };
}
