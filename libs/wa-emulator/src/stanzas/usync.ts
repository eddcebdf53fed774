import {
  getBinaryNodeChild,
  getBinaryNodeChildren,
  jidDecode,
  jidEncode,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { ServerContext } from '../context.js';
import { contactAnswer } from './number-check.js';
import { childrenOf } from './reply.js';

/**
 * `iq usync`: devices (device 0, plus the companion for linked accounts), lid (Baileys 7 cannot send to a PN without
 * a LID mapping), contact (onWhatsApp, number-check.ts), status, disappearing_mode.
 */
export function answerUsync(ctx: ServerContext, usync: BinaryNode): BinaryNode {
  const protocols = childrenOf(getBinaryNodeChild(usync, 'query')).map((c) => c.tag);
  const users = getBinaryNodeChildren(getBinaryNodeChild(usync, 'list'), 'user');
  const list = users.map((user): BinaryNode => {
    let jid = user.attrs.jid;
    let asked: string | undefined; // the phone number of a contact query, as the client wrote it
    if (!jid) {
      const raw = getBinaryNodeChild(user, 'contact')?.content;
      asked = Buffer.isBuffer(raw) || raw instanceof Uint8Array ? Buffer.from(raw).toString() : String(raw ?? '');
      jid = jidEncode(asked.replace(/\D/g, ''), 's.whatsapp.net');
    }
    const decoded = jidDecode(jid);
    const account = ctx.directory.accountForJid(jid);
    const contact =
      account || !decoded
        ? undefined
        : decoded.server === 'lid'
          ? ctx.directory.contactForJid(jid)
          : ctx.directory.contact(decoded.user);
    const lidUser = account?.lidUser ?? contact?.peer.lidUser;
    const content: BinaryNode[] = [];
    for (const protocol of protocols) {
      if (protocol === 'devices') {
        const devices: BinaryNode[] = [{ tag: 'device', attrs: { id: '0' } }];
        if (account) devices.push({ tag: 'device', attrs: { id: `${account.deviceId}`, 'key-index': '1' } });
        content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] });
      } else if (protocol === 'lid') {
        if (lidUser && decoded?.server !== 'lid')
          content.push({ tag: 'lid', attrs: { val: jidEncode(lidUser, 'lid') } });
      } else if (protocol === 'contact') {
        content.push(contactAnswer(ctx, asked, account ? account.phone : decoded?.user));
      } else if (protocol === 'status') {
        const status = contact?.profile.status ?? '';
        content.push({ tag: 'status', attrs: { t: '1700000000' }, content: Buffer.from(status) });
      } else if (protocol === 'disappearing_mode') {
        content.push({ tag: 'disappearing_mode', attrs: { duration: '0', t: '0' } });
      }
    }
    return { tag: 'user', attrs: { jid }, content };
  });
  return {
    tag: 'usync',
    attrs: { ...usync.attrs },
    content: [
      { tag: 'result', attrs: {} },
      { tag: 'list', attrs: {}, content: list },
    ],
  };
}
