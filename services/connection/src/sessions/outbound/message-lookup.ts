/**
 * Finding the messages a send refers to in the session's message store: the message a reply quotes, the
 * target of a reaction/edit/revoke, and an earlier send with the same id (idempotency). Everything goes
 * through the `MessageTarget` fields (chat, id, fromMe, participant), so a re-keying of the store (by
 * chat + sender + id) only changes this file.
 */
import { jidNormalizedUser, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { MessageTarget } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { loadMessage } from '../session-store.js';

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

/** The stored message `target` names, or undefined when the store does not have it. */
export async function findTarget(
  sql: Sql,
  connectionId: string,
  target: MessageTarget,
): Promise<WAMessage | undefined> {
  const msg = await loadMessage(sql, connectionId, target.id);
  if (!msg?.key || !isInChat(msg.key, target.chatId) || Boolean(msg.key.fromMe) !== target.fromMe) return undefined;
  if (target.participant && !target.fromMe && !isSender(msg.key, target.participant)) return undefined;
  return msg;
}

export type EarlierSend = { kind: 'none' } | { kind: 'sent'; message: WAMessage } | { kind: 'taken' };

/**
 * Whether `messageId` was already used by this session: `sent` = our own earlier send to this chat (a retry),
 * `taken` = a different message holds the id (another chat, or one we received).
 */
export async function findEarlierSend(
  sql: Sql,
  connectionId: string,
  chatId: string,
  messageId: string,
): Promise<EarlierSend> {
  const msg = await loadMessage(sql, connectionId, messageId);
  if (!msg?.key) return { kind: 'none' };
  return msg.key.fromMe && isInChat(msg.key, chatId) ? { kind: 'sent', message: msg } : { kind: 'taken' };
}
