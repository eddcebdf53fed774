/**
 * The session's message store (`connection.messages`, see session-store.ts) as the sends use it: the message
 * a reply quotes, the target of a reaction/edit/revoke, an earlier send with the same id (idempotency), and
 * the record of a send. Everything goes through the `MessageTarget` fields (chat, id, fromMe, participant), so
 * a re-keying of the store (by chat + sender + id) only changes this file.
 */
import { proto, toNumber, jidNormalizedUser, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
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

/**
 * Records a message we just sent, before the send is answered: one statement (no transaction round trips),
 * the same row Baileys' own upsert of the message writes again a moment later through the session's writer.
 */
export async function recordSent(sql: Sql, connectionId: string, msg: WAMessage): Promise<void> {
  await sql.query(
    `INSERT INTO connection.messages (connection_id, key_id, chat_id, from_me, ts, data)
     VALUES ($1, $2, $3, true, $4, $5)
     ON CONFLICT (connection_id, key_id) DO UPDATE SET data = EXCLUDED.data, ts = EXCLUDED.ts`,
    [
      connectionId,
      msg.key.id,
      msg.key.remoteJid,
      toNumber(msg.messageTimestamp as number | null | undefined),
      Buffer.from(proto.WebMessageInfo.encode(msg).finish()),
    ],
  );
}
