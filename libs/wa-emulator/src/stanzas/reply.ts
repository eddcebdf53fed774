import { S_WHATSAPP_NET, type BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from '../connection.js';

/** `<iq type=result>` answering the client's iq `node`. */
export function replyResult(connection: Connection, node: BinaryNode, content?: BinaryNode[]): void {
  connection.sendNode({ tag: 'iq', attrs: { from: S_WHATSAPP_NET, type: 'result', id: node.attrs.id! }, content });
}

export function childrenOf(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
