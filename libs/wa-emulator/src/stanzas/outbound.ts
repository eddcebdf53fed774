import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode } from '@whiskeysockets/baileys';
import type { Account } from '../accounts.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { decryptMedia } from '../media-crypto.js';
import { describeMessage, type OutboundRecord } from '../outbound-record.js';
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
  if (!recipient || (recipient.server !== 's.whatsapp.net' && recipient.server !== 'lid')) return; // groups etc.
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
      const { fields, media } = describeMessage(message);
      Object.assign(record, fields);
      if (media) {
        const blob = ctx.media.get(media.directPath ?? media.url ?? '');
        if (blob) record.media = await decryptMedia(blob, media.mediaKey, media.type);
        else record.error = 'media not found on the emulator media host';
      }
    } catch (error) {
      if (!ownPhone) record.error = error instanceof Error ? error.message : String(error);
    }
  }
  account.outbound.push(record);
  ctx.stats.outbound++;
  autoReceipts(ctx, account, record);
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
