import type { proto } from '@whiskeysockets/baileys';
import type { Connection } from './connection.js';
import type { ServerContext } from './context.js';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Login handshake (ClientPayload{username, device, passive}): the Noise static key must be the one the account was
 * paired with. A second live connection for the same account replaces the first one (stream error conflict → 440).
 */
export function handleLogin(
  ctx: ServerContext,
  connection: Connection,
  payload: proto.ClientPayload,
  clientStatic: Buffer,
): void {
  const account = ctx.directory.account(String(payload.username ?? ''));
  const valid =
    account &&
    !account.loggedOut &&
    account.deviceId === payload.device &&
    account.noiseKey.equals(Buffer.from(clientStatic));
  if (!account || !valid) {
    connection.sendNode({ tag: 'failure', attrs: { reason: '401', location: 'emulator' } });
    connection.later(50, () => connection.terminate());
    return;
  }
  const previous = account.connection;
  if (previous && previous !== connection && previous.isOpen) {
    previous.streamError(undefined, { tag: 'conflict', attrs: { type: 'replaced' } });
  }
  connection.account = account;
  account.connection = connection;
  ctx.sockets.opened(account.phone, connection.id);
  connection.sendNode({
    tag: 'success',
    attrs: {
      t: `${nowSeconds()}`,
      props: '1',
      abprops: '1',
      location: 'emulator',
      creation: `${nowSeconds() - 86400}`,
      // Baileys 7 reads the LID (with device) into creds.me.lid and migrates its own session to it
      lid: account.companionLid,
    },
  });
}
