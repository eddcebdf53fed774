import {
  encodeBigEndian,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  jidDecode,
  jidNormalizedUser,
  type BinaryNode,
  type proto,
} from '@whiskeysockets/baileys';
import type { Account } from '../accounts.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { decryptMedia } from '../media-crypto.js';
import { describeMessage, type OutboundRecord } from '../outbound-record.js';
import { checkPollRecord } from '../polls.js';
import type { SignalPeer } from '../signal-peers.js';
import { sendContactReceipt } from './receipts.js';
import { nowSeconds } from './reply.js';

/**
 * A `<message>` from a linked client: server ack, then the recipient's device 0 decrypts its `<to>` copy (the own
 * phone's deviceSentMessage copy is decrypted too, keeping that session in step, but not recorded).
 */
export async function captureOutbound(ctx: ServerContext, connection: Connection, node: BinaryNode): Promise<void> {
  const account = connection.account;
  if (!account) return;
  const to = node.attrs.to ?? '';
  connection.sendNode({ tag: 'ack', attrs: { id: node.attrs.id!, class: 'message', from: to, t: `${nowSeconds()}` } });

  const recipient = jidDecode(to);
  if (recipient?.server === 'g.us') {
    await captureGroupOutbound(ctx, account, node);
    return;
  }
  if (!recipient || (recipient.server !== 's.whatsapp.net' && recipient.server !== 'lid')) return; // broadcast etc.
  const contact =
    ctx.directory.contactForJid(to) ??
    (recipient.server === 's.whatsapp.net' ? ctx.directory.contact(recipient.user) : undefined);
  const record: OutboundRecord = {
    id: node.attrs.id!,
    from: account.phone,
    to: contact?.peer.pnUser ?? recipient.user,
    timestamp: nowSeconds(),
    type: 'undecryptable',
    status: 'sent',
  };

  const copies = participantsOf(node);
  let unreadBy: SignalPeer | undefined; // the contact's peer, when its copy failed to decrypt
  for (const { jid, enc } of copies) {
    const target = jidDecode(jid);
    if (!target || (target.device ?? 0) !== 0) continue;
    const type = enc.attrs.type;
    if ((type !== 'pkmsg' && type !== 'msg') || (!Buffer.isBuffer(enc.content) && !(enc.content instanceof Uint8Array)))
      continue;
    const ownPhone = ctx.directory.accountForJid(jid) === account;
    const peer = ownPhone ? account.primary : contact?.peer;
    if (!peer) continue;
    try {
      const message = await peer.decryptFrom(account.companionLid, type, enc.content as Uint8Array);
      if (ownPhone) continue;
      await fillRecord(ctx, record, message);
      checkPollRecord(node, record);
    } catch (error) {
      if (!ownPhone) {
        record.error = error instanceof Error ? error.message : String(error);
        unreadBy = peer;
      }
    }
  }
  if (record.type === 'undecryptable' && !record.error) {
    // nothing was tried: say what the stanza carried, so a test failure shows why
    const carried = copies.map(({ jid, enc }) => `${jid} ${enc.attrs.type}`).join(', ') || 'no <enc>';
    record.error = `no copy for ${contact ? "the contact's device 0" : `an unknown recipient ${to}`} (${carried})`;
  }
  const earlier = account.outbound.findIndex((r) => r.id === record.id);
  if (earlier >= 0) {
    // the same id again: the client answering a retry receipt (or a duplicate, which WhatsApp drops too)
    const first = account.outbound[earlier]!;
    if (first.type !== 'undecryptable') return;
    record.decryptFailures = first.decryptFailures;
    account.outbound[earlier] = record; // in the place of the first attempt: order is the order of sending
  } else {
    account.outbound.push(record);
    ctx.stats.outbound++;
  }
  if (record.type === 'undecryptable' && unreadBy) {
    record.decryptFailures = (record.decryptFailures ?? 0) + 1;
    askForResend(ctx, account, record, to, unreadBy);
    return;
  }
  autoReceipts(ctx, account, record);
}

/**
 * What a phone does with a message it cannot decrypt: a retry receipt to the sender, with its registration id.
 * Baileys answers it by fetching a fresh prekey bundle and sending the message again, with the same id, on a new
 * Signal session (a pkmsg), so a broken session heals instead of losing every later message.
 */
function askForResend(ctx: ServerContext, account: Account, record: OutboundRecord, to: string, peer: SignalPeer) {
  const count = record.decryptFailures ?? 1;
  if (count > ctx.options.retryReceipts) return;
  ctx.options.log('retry receipt', record.id, 'count', count, record.error);
  ctx.stats.retryReceiptsSent++;
  const t = `${nowSeconds()}`;
  ctx.deliver(account, async (connection) => {
    connection.sendNode({
      tag: 'receipt',
      attrs: { from: jidNormalizedUser(to), id: record.id, t, type: 'retry' },
      content: [
        { tag: 'retry', attrs: { count: String(count), id: record.id, t, v: '1' } },
        { tag: 'registration', attrs: {}, content: encodeBigEndian(peer.creds.registrationId) },
      ],
    });
  });
}

async function fillRecord(ctx: ServerContext, record: OutboundRecord, message: proto.Message): Promise<void> {
  const { fields, media } = describeMessage(message);
  Object.assign(record, fields);
  if (media) {
    const blob = ctx.media.get(media.directPath ?? media.url ?? '');
    if (blob) record.media = await decryptMedia(blob, media.mediaKey, media.type);
    else record.error = 'media not found on the emulator media host';
  }
}

/**
 * Group send: pairwise `<to>` copies carry the client's sender-key distribution message (to members that don't have
 * it yet), the content is one `skmsg`. Every member peer takes in its SKDM; the first that decrypts the skmsg
 * provides the record. Baileys signs group messages as creds.me.id (PN addressing), or its LID (LID groups).
 */
async function captureGroupOutbound(ctx: ServerContext, account: Account, node: BinaryNode): Promise<void> {
  const groupJid = node.attrs.to!;
  const record: OutboundRecord = {
    id: node.attrs.id!,
    from: account.phone,
    to: groupJid,
    group: groupJid,
    timestamp: nowSeconds(),
    type: 'undecryptable',
    status: 'sent',
  };
  const distributions = new Map<SignalPeer, proto.Message.ISenderKeyDistributionMessage | null>();
  for (const { jid, enc } of participantsOf(node)) {
    const target = jidDecode(jid);
    const type = enc.attrs.type;
    if (!target || (target.device ?? 0) !== 0 || (type !== 'pkmsg' && type !== 'msg')) continue;
    const peer =
      ctx.directory.accountForJid(jid) === account ? account.primary : ctx.directory.contactForJid(jid)?.peer;
    if (!peer) continue;
    try {
      const message = await peer.decryptFrom(account.companionLid, type, enc.content as Uint8Array);
      distributions.set(peer, message.senderKeyDistributionMessage ?? null);
    } catch (error) {
      ctx.options.log('group copy not decryptable', jid, error);
    }
  }
  // members that got no copy this time already hold the sender key
  const group = ctx.directory.group(groupJid);
  for (const phone of group?.participants ?? []) {
    const peer =
      phone === account.phone ? account.primary : ctx.directory.contactForJid(`${phone}@s.whatsapp.net`)?.peer;
    if (peer && !distributions.has(peer)) distributions.set(peer, null);
  }
  const skmsg = getBinaryNodeChildren(node, 'enc').find((e) => e.attrs.type === 'skmsg')?.content;
  let decrypted: proto.Message | undefined;
  let lastError: unknown;
  if (skmsg instanceof Uint8Array) {
    for (const [peer, distribution] of distributions) {
      for (const author of [account.companionJid, account.companionLid]) {
        try {
          const message = await peer.decryptGroup(groupJid, author, skmsg, distribution);
          decrypted ??= message;
          break;
        } catch (error) {
          lastError = error;
        }
      }
    }
  }
  if (decrypted) {
    await fillRecord(ctx, record, decrypted);
    checkPollRecord(node, record);
  } else record.error = lastError instanceof Error ? lastError.message : 'no skmsg a member could decrypt';
  account.outbound.push(record);
  ctx.stats.outbound++;
}

function participantsOf(node: BinaryNode): { jid: string; enc: BinaryNode }[] {
  const participants = getBinaryNodeChild(node, 'participants');
  if (participants) {
    return getBinaryNodeChildren(participants, 'to').flatMap((to) => {
      const enc = getBinaryNodeChild(to, 'enc');
      return enc ? [{ jid: to.attrs.jid!, enc }] : [];
    });
  }
  const enc = getBinaryNodeChild(node, 'enc');
  return enc ? [{ jid: node.attrs.to!, enc }] : [];
}

function autoReceipts(ctx: ServerContext, account: Account, record: OutboundRecord): void {
  const mode = ctx.options.autoReceipt;
  if (mode === 'none' || record.type === 'undecryptable' || record.type === 'reaction') return;
  setTimeout(() => {
    sendContactReceipt(ctx, account, record, 'delivered');
    if (mode === 'read') setTimeout(() => sendContactReceipt(ctx, account, record, 'read'), 20);
  }, 20);
}
