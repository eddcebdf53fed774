import { randomBytes } from 'node:crypto';
import { jidEncode } from '@whiskeysockets/baileys';
import type { Account, Contact } from '../accounts.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import type { proto } from '@whiskeysockets/baileys';
import type { CompanionBundle } from '../signal-peers.js';
import { nowSeconds } from './reply.js';

export const newMessageId = (): string => `3A${randomBytes(9).toString('hex').toUpperCase()}`;

/** Contact messages kept per account for retry receipts (the oldest goes first). */
const RESENDABLE = 2000;

/**
 * Queue (or send) a contact's message to a linked account as the real server does: Signal-encrypted by the contact's
 * device 0 at delivery time (pkmsg until the session is confirmed, then msg), to the companion's LID.
 */
export function deliverFromContact(
  ctx: ServerContext,
  account: Account,
  contact: Contact,
  message: proto.IMessage,
  options: {
    id: string;
    pushName: string;
    addressing: 'pn' | 'lid';
    stanzaType: string;
    groupJid?: string;
    /** the first copy's ciphertext is altered (InboundRequest.damaged); a resend is sent intact */
    damaged?: boolean;
  },
  /** the bundle to start a new session from (a retry receipt's keys), instead of the uploaded one */
  freshBundle?: CompanionBundle,
): void {
  const peer = contact.peer;
  const groupJid = options.groupJid;
  if (!groupJid && !account.inboundSent.has(options.id)) {
    account.inboundSent.set(options.id, { contact, message, options: { ...options, damaged: false }, resends: 0 });
    if (account.inboundSent.size > RESENDABLE) account.inboundSent.delete(account.inboundSent.keys().next().value!);
  }
  ctx.deliver(
    account,
    async (connection, offline) => {
      if (!account.bundle) throw new Error('account has not uploaded prekeys yet');
      if (groupJid) {
        await sendGroupMessage(connection, account, contact, groupJid, message, options, offline);
        return;
      }
      const { type, ciphertext } = await peer.encryptTo(account.companionLid, freshBundle ?? account.bundle, message);
      if (options.damaged) ciphertext[ciphertext.length - 1] ^= 0xff; // the MAC no longer matches: Bad MAC
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
