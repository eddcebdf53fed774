import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { nowSeconds } from './reply.js';

export type ContactPresence = 'available' | 'unavailable' | 'composing' | 'recording' | 'paused';

/** The stanza Baileys turns into presence.update: `<presence>` for online state, `<chatstate>` for typing. */
export function presenceNode(fromJid: string, presence: ContactPresence): BinaryNode {
  if (presence === 'available' || presence === 'unavailable') {
    return {
      tag: 'presence',
      attrs: { from: fromJid, type: presence, ...(presence === 'unavailable' ? { last: `${nowSeconds() - 60}` } : {}) },
    };
  }
  const state = presence === 'paused' ? 'paused' : 'composing';
  return {
    tag: 'chatstate',
    attrs: { from: fromJid },
    content: [{ tag: state, attrs: presence === 'recording' ? { media: 'audio' } : {} }],
  };
}

/** Client `<presence type=subscribe to=jid>`: answer with that contact's current presence. */
export function handleClientPresence(ctx: ServerContext, connection: Connection, node: BinaryNode): void {
  if (node.attrs.type !== 'subscribe' || !node.attrs.to) return;
  const contact = ctx.directory.contactForJid(node.attrs.to);
  if (!contact) return;
  connection.sendNode(presenceNode(node.attrs.to, contact.profile.presence));
}
