import { S_WHATSAPP_NET, type BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { groupNode } from '../group-changes.js';
import { handleGroupAdminIq } from './group-admin.js';
import { replyResult } from './reply.js';

/**
 * `iq xmlns=w:g2`: group metadata (`<query request=interactive>`, needed by Baileys before sending to a group);
 * administration queries (create, participants, invite, leave, participating) are in group-admin.ts.
 */
export function handleGroupIq(ctx: ServerContext, connection: Connection, node: BinaryNode): void {
  if (handleGroupAdminIq(ctx, connection, node)) return;
  if (node.attrs.type === 'set') {
    replyResult(connection, node); // settings not emulated (ephemeral, announcement, …): accepted, no effect
    return;
  }
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
