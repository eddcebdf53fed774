import { randomBytes } from 'node:crypto';
import type { proto } from '@whiskeysockets/baileys';
import type { Connection } from '../connection.js';
import { nowSeconds } from './reply.js';

/**
 * A Signal message from the account's own phone (device 0): Baileys 7 only honours self-only protocol messages
 * (history sync, app-state key share) when key.fromMe.
 */
export async function sendFromPhone(
  connection: Connection,
  message: proto.IMessage,
  attrs: Record<string, string> = {},
): Promise<void> {
  const account = connection.account;
  if (!account?.bundle) throw new Error('account has no uploaded prekey bundle');
  const { type, ciphertext } = await account.primary.encryptTo(account.companionLid, account.bundle, message);
  connection.sendNode({
    tag: 'message',
    attrs: {
      from: account.primary.pnJid,
      id: `3EB0${randomBytes(8).toString('hex').toUpperCase()}`,
      t: `${nowSeconds()}`,
      type: 'text',
      ...attrs,
    },
    content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }],
  });
}
