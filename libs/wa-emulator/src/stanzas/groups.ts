import { S_WHATSAPP_NET, type BinaryNode } from '@whiskeysockets/baileys';
import type { Group } from '../accounts.js';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { replyResult } from './reply.js';

function groupNode(ctx: ServerContext, group: Group): BinaryNode {
  const creator = ctx.directory.memberJids(group.creator);
  return {
    tag: 'group',
    attrs: {
      id: group.id,
      subject: group.subject,
      s_t: `${group.creation}`,
      s_o: creator.pn,
      creation: `${group.creation}`,
      creator: creator.pn,
      size: `${group.participants.length}`,
    },
    content: group.participants.map((phone) => {
      const { pn, lid } = ctx.directory.memberJids(phone);
      return {
        tag: 'participant',
        attrs: { jid: pn, lid, ...(phone === group.creator ? { type: 'superadmin' } : {}) },
      };
    }),
  };
}

/** `iq xmlns=w:g2`: group metadata (`<query request=interactive>`, needed by Baileys before sending to a group). */
export function handleGroupIq(ctx: ServerContext, connection: Connection, node: BinaryNode): void {
  const group = ctx.directory.group(node.attrs.to ?? '');
  const isMember = group && connection.account && group.participants.includes(connection.account.phone);
  if (!group || !isMember) {
    connection.sendNode({
      tag: 'iq',
      attrs: { from: node.attrs.to ?? S_WHATSAPP_NET, type: 'error', id: node.attrs.id! },
      content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }],
    });
    return;
  }
  replyResult(connection, node, [groupNode(ctx, group)]);
}
