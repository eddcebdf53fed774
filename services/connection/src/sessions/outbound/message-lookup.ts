/**
 * The session's message store (`connection.messages`, see session-store.ts) as the sends use it: the message
 * a reply quotes, the target of a reaction/edit/revoke, an earlier send with the same id (idempotency), and
 * the record of a send. Everything goes through the `MessageTarget` fields (chat, id, fromMe, participant), so
 * a re-keying of the store (by chat + sender + id) only changes this file.
 */
import { jidNormalizedUser, toNumber, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { MessageTarget } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { storeKeyOf } from '../../events/store-key.js';
import { messagesWithId } from '../session-store.js';
import type { SendStore } from './send-store.js';

const norm = (jid: string | null | undefined): string | undefined => (jid ? jidNormalizedUser(jid) : undefined);

/** The key names this chat, by its JID or its alternative (PN ↔ LID) JID. */
export function isInChat(key: WAMessageKey, chatId: string): boolean {
  const chat = norm(chatId);
  return norm(key.remoteJid) === chat || norm(key.remoteJidAlt) === chat;
}

function isSender(key: WAMessageKey, participant: string): boolean {
  const who = norm(participant);
  return norm(key.participant) === who || norm(key.participantAlt) === who;
}

/**
 * The stored message `target` names, or undefined when the store does not have it. The store keeps every sender's
 * message under its own key (an id is the sender's choice): when several match and the target does not say
 * whose it is, none is taken rather than someone else's.
 */
export async function findTarget(
  sql: Sql,
  connectionId: string,
  target: MessageTarget,
): Promise<WAMessage | undefined> {
  const matches = (await messagesWithId(sql, connectionId, target.id)).filter(
    (msg) =>
      msg.key &&
      isInChat(msg.key, target.chatId) &&
      Boolean(msg.key.fromMe) === target.fromMe &&
      !(target.participant && !target.fromMe && !isSender(msg.key, target.participant)),
  );
  return matches.length === 1 ? matches[0] : undefined;
}

export type EarlierSend = { kind: 'none' } | { kind: 'sent'; timestamp: number } | { kind: 'taken' };

/**
 * Whether we already used `messageId` (our own messages are stored with sender `me`): `sent` = our earlier send
 * to this chat (a retry; its timestamp in Unix seconds), `taken` = one of ours in another chat has that id.
 * Another sender's message with the same id is no conflict: an id is its sender's choice. Asked before every
 * send, so the usual answer (no row) costs a share of one batched lookup (send-store.ts) and no decoding.
 */
export async function findEarlierSend(
  sql: Sql,
  store: SendStore,
  connectionId: string,
  chatId: string,
  messageId: string,
): Promise<EarlierSend> {
  const rows = await store.ownMessagesWithId(connectionId, messageId);
  if (!rows.length) return { kind: 'none' };
  const chat = storeKeyOf({ remoteJid: chatId, fromMe: true, id: messageId })?.chat;
  const same = rows.find((r) => r.chat_id === chat);
  if (same) return { kind: 'sent', timestamp: Number(same.ts) };
  // Rare: stored under the chat's other JID form (PN ↔ LID), which only the stored key knows.
  const ours = (await messagesWithId(sql, connectionId, messageId)).find(
    (m) => m.key?.fromMe && isInChat(m.key, chatId),
  );
  return ours
    ? { kind: 'sent', timestamp: toNumber(ours.messageTimestamp as number | null | undefined) }
    : { kind: 'taken' };
}
