import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode } from '@whiskeysockets/baileys';
import type { Account } from '../accounts.js';
import { nowSeconds } from './reply.js';

/**
 * What a linked client signalled to its contacts besides messages: read receipts (`sock.readMessages`),
 * typing states (`sendPresenceUpdate('composing' | 'paused' | 'recording', jid)`) and its online state
 * (`sendPresenceUpdate('available' | 'unavailable')`). Recorded per account, oldest first.
 */
export type ClientSignal =
  | {
      kind: 'read';
      /** the chat: a phone number (digits) for 1:1 chats, the group jid for groups */
      to: string;
      /** the messages read, in the order the client listed them */
      ids: string[];
      /** `read-self` when the account hides its read receipts */
      type: 'read' | 'read-self' | 'played';
      /** the sender inside a group (digits) */
      participant?: string;
      timestamp: number; // unix seconds
    }
  | { kind: 'chatstate'; to: string; state: 'composing' | 'paused' | 'recording'; timestamp: number }
  | { kind: 'presence'; state: 'available' | 'unavailable'; timestamp: number };

const signals = new WeakMap<Account, ClientSignal[]>();

export function clientSignals(account: Account): ClientSignal[] {
  return [...(signals.get(account) ?? [])];
}

function record(account: Account, signal: ClientSignal): void {
  let list = signals.get(account);
  if (!list) signals.set(account, (list = []));
  list.push(signal);
}

/** `user@s.whatsapp.net` / `user:device@…` → `user`; groups keep their jid. */
function chatOf(jid: string): string {
  const decoded = jidDecode(jid);
  if (!decoded) return jid;
  return decoded.server === 'g.us' ? jid : decoded.user;
}

const READ_TYPES = new Set(['read', 'read-self', 'played']);

/** A client `<receipt>`: read/played receipts are recorded (delivery receipts of inbound messages are not). */
export function recordClientReceipt(account: Account, node: BinaryNode): void {
  const type = node.attrs.type;
  if (!type || !READ_TYPES.has(type) || !node.attrs.to || !node.attrs.id) return;
  const ids = [
    node.attrs.id,
    ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').flatMap((i) => (i.attrs.id ? [i.attrs.id] : [])),
  ];
  record(account, {
    kind: 'read',
    to: chatOf(node.attrs.to),
    ids,
    type: type as 'read' | 'read-self' | 'played',
    ...(node.attrs.participant ? { participant: chatOf(node.attrs.participant) } : {}),
    timestamp: Number(node.attrs.t ?? nowSeconds()),
  });
}

/** A client `<chatstate to><composing|paused/></chatstate>` (recording = composing with media=audio). */
export function recordChatState(account: Account, node: BinaryNode): void {
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  if (!node.attrs.to || !child || (child.tag !== 'composing' && child.tag !== 'paused')) return;
  const state = child.tag === 'composing' && child.attrs.media === 'audio' ? 'recording' : child.tag;
  record(account, { kind: 'chatstate', to: chatOf(node.attrs.to), state, timestamp: nowSeconds() });
}

/** A client `<presence type=available|unavailable name=…/>` (subscriptions are answered elsewhere). */
export function recordClientPresence(account: Account, node: BinaryNode): void {
  const type = node.attrs.type;
  if (type !== 'available' && type !== 'unavailable') return;
  record(account, { kind: 'presence', state: type, timestamp: nowSeconds() });
}
