/**
 * A chat's unread messages, as the session's stores know them: `connection.chats.unread_count` counts the
 * inbound messages since the chat was last read, and the message window holds the newest of them.
 */
import type { WAMessageKey } from '@whiskeysockets/baileys';
import type { Sql } from '@wahooks/db';
import { toChatId } from '../../events/index.js';
import { recentMessages } from '../session-store.js';

/** At most this many read receipts per mark-read (the contract's limit for explicit lists too). */
export const MAX_READ = 100;

/** The keys of the chat's newest `unread_count` inbound messages (as many as the window still has). */
export async function unreadKeys(sql: Sql, connectionId: string, chatJid: string): Promise<WAMessageKey[]> {
  const [chat] = await sql.query<{ unread_count: number }>(
    'SELECT unread_count FROM connection.chats WHERE connection_id = $1 AND chat_id = $2',
    [connectionId, toChatId(chatJid)],
  );
  const unread = Math.min(chat?.unread_count ?? 0, MAX_READ);
  if (!unread) return [];
  const recent = await recentMessages(sql, connectionId, [chatJid], MAX_READ * 2);
  return recent
    .filter((m) => m.key && !m.key.fromMe)
    .slice(0, unread)
    .map((m) => m.key);
}

export async function clearUnread(sql: Sql, connectionId: string, chatJid: string): Promise<void> {
  await sql.query('UPDATE connection.chats SET unread_count = 0 WHERE connection_id = $1 AND chat_id = $2', [
    connectionId,
    toChatId(chatJid),
  ]);
}
