/**
 * What a session keeps besides its auth state: the outbox entries of each Baileys batch, together with the
 * message window and recent chats it implies, written in ONE transaction as the batch is taken from Baileys.
 */
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Sql } from '@wahooks/db';
import { appendToOutbox, type OutboxEntry } from '../outbox/outbox-repo.js';

export interface ChatChange {
  chatId: string; // `@c.us` form
  name?: string | null;
  conversationTimestamp?: number; // seconds
  unreadIncrement?: number;
  archived?: boolean;
}

export interface SessionBatch {
  outbox: OutboxEntry[];
  messages: WAMessage[];
  chats: ChatChange[];
  deletedChats?: string[];
}

export interface RecentChat {
  id: string;
  name: string | null;
  conversationTimestamp: number;
  unreadCount: number;
  archived: boolean;
}

export async function persistBatch(sql: Sql, connectionId: string, batch: SessionBatch): Promise<void> {
  if (!batch.outbox.length && !batch.messages.length && !batch.chats.length && !batch.deletedChats?.length) return;
  await sql.transaction(async (tx) => {
    await appendToOutbox(tx, connectionId, batch.outbox);
    for (const m of batch.messages) {
      if (!m.key?.id || !m.key.remoteJid) continue;
      await tx.query(
        `INSERT INTO connection.messages (connection_id, key_id, chat_id, from_me, ts, data)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (connection_id, key_id) DO UPDATE SET data = EXCLUDED.data, ts = EXCLUDED.ts`,
        [
          connectionId,
          m.key.id,
          m.key.remoteJid,
          Boolean(m.key.fromMe),
          Number(m.messageTimestamp ?? 0),
          Buffer.from(proto.WebMessageInfo.encode(m).finish()),
        ],
      );
    }
    for (const c of batch.chats) {
      await tx.query(
        `INSERT INTO connection.chats (connection_id, chat_id, name, conversation_timestamp, unread_count, archived)
         VALUES ($1, $2, $3, COALESCE($4, 0), COALESCE($5, 0), COALESCE($6, false))
         ON CONFLICT (connection_id, chat_id) DO UPDATE SET
           name = COALESCE(EXCLUDED.name, connection.chats.name),
           conversation_timestamp = GREATEST(connection.chats.conversation_timestamp, COALESCE($4, 0)),
           unread_count = connection.chats.unread_count + COALESCE($5, 0),
           archived = COALESCE($6, connection.chats.archived)`,
        [
          connectionId,
          c.chatId,
          c.name ?? null,
          c.conversationTimestamp ?? null,
          c.unreadIncrement ?? null,
          c.archived ?? null,
        ],
      );
    }
    if (batch.deletedChats?.length) {
      await tx.query('DELETE FROM connection.chats WHERE connection_id = $1 AND chat_id = ANY($2::text[])', [
        connectionId,
        batch.deletedChats,
      ]);
    }
  });
}

export async function loadMessage(sql: Sql, connectionId: string, keyId: string): Promise<WAMessage | undefined> {
  const rows = await sql.query<{ data: Buffer }>(
    'SELECT data FROM connection.messages WHERE connection_id = $1 AND key_id = $2',
    [connectionId, keyId],
  );
  return rows[0] ? (proto.WebMessageInfo.decode(rows[0].data) as WAMessage) : undefined;
}

export async function recentMessages(
  sql: Sql,
  connectionId: string,
  chatJids: string[],
  limit: number,
): Promise<WAMessage[]> {
  const rows = await sql.query<{ data: Buffer }>(
    `SELECT data FROM connection.messages WHERE connection_id = $1 AND chat_id = ANY($2::text[])
     ORDER BY ts DESC LIMIT $3`,
    [connectionId, chatJids, limit],
  );
  return rows.map((r) => proto.WebMessageInfo.decode(r.data) as WAMessage);
}

export async function recentChats(sql: Sql, connectionId: string, limit = 20): Promise<RecentChat[]> {
  const rows = await sql.query<{
    chat_id: string;
    name: string | null;
    conversation_timestamp: string;
    unread_count: number;
    archived: boolean;
  }>(
    `SELECT chat_id, name, conversation_timestamp, unread_count, archived FROM connection.chats
     WHERE connection_id = $1 ORDER BY conversation_timestamp DESC LIMIT $2`,
    [connectionId, limit],
  );
  return rows.map((r) => ({
    id: r.chat_id,
    name: r.name,
    conversationTimestamp: Number(r.conversation_timestamp),
    unreadCount: r.unread_count,
    archived: r.archived,
  }));
}

/** Keep only the newest `keep` messages of a connection (run now and then, not per message). */
export async function trimMessages(sql: Sql, connectionId: string, keep: number): Promise<void> {
  await sql.query(
    `DELETE FROM connection.messages WHERE connection_id = $1 AND key_id IN (
       SELECT key_id FROM connection.messages WHERE connection_id = $1 ORDER BY ts DESC OFFSET $2)`,
    [connectionId, keep],
  );
}

export async function forgetSessionData(sql: Sql, connectionId: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query('DELETE FROM connection.messages WHERE connection_id = $1', [connectionId]);
    await tx.query('DELETE FROM connection.chats WHERE connection_id = $1', [connectionId]);
  });
}
