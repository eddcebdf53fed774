import { randomBytes } from 'node:crypto';
import { jidEncode } from '@whiskeysockets/baileys';
import type { Account, Contact } from '../accounts.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import type { proto } from '@whiskeysockets/baileys';
import { nowSeconds } from './reply.js';

export const newMessageId = (): string => `3A${randomBytes(9).toString('hex').toUpperCase()}`;

/**
 * Queue (or send) a contact's message to a linked account as the real server does: Signal-encrypted by the contact's
 * device 0 at delivery time (pkmsg until the session is confirmed, then msg), to the companion's LID.
 */
export function deliverFromContact(
  ctx: ServerContext,
  account: Account,
  contact: Contact,
  message: proto.IMessage,
  options: { id: string; pushName: string; addressing: 'pn' | 'lid'; stanzaType: string; groupJid?: string },
): void {
  const peer = contact.peer;
  const groupJid = options.groupJid;
  ctx.deliver(
    account,
    async (connection, offline) => {
      if (!account.bundle) throw new Error('account has not uploaded prekeys yet');
      if (groupJid) {
        await sendGroupMessage(connection, account, contact, groupJid, message, options, offline);
        return;
      }
      const { type, ciphertext } = await peer.encryptTo(account.companionLid, account.bundle, message);
      ctx.stats.inbound[type]++;
      const address: Record<string, string> =
        options.addressing === 'lid'
          ? { from: peer.lidJid, sender_pn: peer.pnJid, addressing_mode: 'lid' }
          : { from: peer.pnJid, sender_lid: jidEncode(peer.lidUser, 'lid') };
      connection.sendNode({
        tag: 'message',
        attrs: {
          ...address,
          id: options.id,
          t: `${nowSeconds()}`,
          type: options.stanzaType,
          notify: options.pushName,
          ...(offline ? { offline: '1' } : {}),
        },
        content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }],
      });
    },
    options.id,
  );
}

/**
 * Group message: the contact's sender key (`skmsg`), preceded by a `pkmsg` carrying its sender-key distribution
 * message. The SKDM goes with every message, so a redelivered or first-seen message always decrypts.
 */
async function sendGroupMessage(
  connection: Connection,
  account: Account,
  contact: Contact,
  groupJid: string,
  message: proto.IMessage,
  options: { id: string; pushName: string; addressing: 'pn' | 'lid'; stanzaType: string },
  offline: boolean,
): Promise<void> {
  const peer = contact.peer;
  const { ciphertext, skdm } = await peer.encryptGroup(groupJid, message);
  const distribution = await peer.encryptTo(account.companionLid, account.bundle!, {
    senderKeyDistributionMessage: { groupId: groupJid, axolotlSenderKeyDistributionMessage: skdm },
  });
  const participant: Record<string, string> =
    options.addressing === 'lid'
      ? { participant: peer.lidJid, participant_pn: peer.pnJid, addressing_mode: 'lid' }
      : { participant: peer.pnJid, participant_lid: peer.lidJid };
  connection.sendNode({
    tag: 'message',
    attrs: {
      from: groupJid,
      ...participant,
      id: options.id,
      t: `${nowSeconds()}`,
      type: options.stanzaType,
      notify: options.pushName,
      ...(offline ? { offline: '1' } : {}),
    },
    content: [
      { tag: 'enc', attrs: { v: '2', type: distribution.type }, content: distribution.ciphertext },
      { tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: ciphertext },
    ],
  });
}
