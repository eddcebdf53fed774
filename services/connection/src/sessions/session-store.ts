/**
 * What a session keeps besides its auth state: the outbox entries of each Baileys batch, together with the
 * message window and recent chats it implies, written in ONE transaction as the batch is taken from Baileys.
 */
import { proto, toNumber, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { Sql } from '@wahooks/db';
import { sameMessageKey, storeKeyOf } from '../events/store-key.js';
import { appendToOutbox, type OutboxEntry } from '../outbox/outbox-repo.js';
import { forgetLabels } from '../labels/labels-repo.js';

export type { StoreKey } from '../events/store-key.js';

const decode = (data: Buffer) => proto.WebMessageInfo.decode(data) as WAMessage;

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

/**
 * One transaction per batch (or group of batches): the outbox rows, then every message and every chat change in
 * one multi-row statement each (a burst of sends costs a few statements, not a few per message).
 */
export async function persistBatch(sql: Sql, connectionId: string, batch: SessionBatch): Promise<void> {
  if (!batch.outbox.length && !batch.messages.length && !batch.chats.length && !batch.deletedChats?.length) return;
  await sql.transaction(async (tx) => {
    await appendToOutbox(tx, connectionId, batch.outbox);
    await upsertMessages(
      tx,
      batch.messages.map((message) => ({ connectionId, message })),
    );
    await upsertChats(tx, connectionId, batch.chats);
    if (batch.deletedChats?.length) {
      await tx.query('DELETE FROM connection.chats WHERE connection_id = $1 AND chat_id = ANY($2::text[])', [
        connectionId,
        batch.deletedChats,
      ]);
    }
  });
}

/**
 * Inserts or replaces messages under their store keys, of any connections, in one statement (persistBatch and
 * the record of each send share it). A message listed twice (same store key) is written as its last version.
 */
export async function upsertMessages(
  sql: Sql,
  messages: readonly { connectionId: string; message: WAMessage }[],
): Promise<void> {
  const rows = new Map<string, { connectionId: string; k: NonNullable<ReturnType<typeof storeKeyOf>>; m: WAMessage }>();
  for (const { connectionId, message: m } of messages) {
    const k = storeKeyOf(m.key);
    if (k) rows.set(`${connectionId}\n${k.chat}\n${k.sender}\n${k.id}`, { connectionId, k, m });
  }
  if (rows.size === 0) return;
  const list = [...rows.values()];
  await sql.query(
    `INSERT INTO connection.messages (connection_id, key_id, chat_id, sender, from_me, ts, data)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::bigint[], $7::bytea[])
     ON CONFLICT (connection_id, chat_id, sender, key_id) DO UPDATE SET data = EXCLUDED.data, ts = EXCLUDED.ts`,
    [
      list.map((r) => r.connectionId),
      list.map((r) => r.k.id),
      list.map((r) => r.k.chat),
      list.map((r) => r.k.sender),
      list.map((r) => Boolean(r.m.key.fromMe)),
      list.map((r) => toNumber(r.m.messageTimestamp as number | null | undefined)),
      list.map((r) => Buffer.from(proto.WebMessageInfo.encode(r.m).finish())),
    ],
  );
}

/**
 * Many chat changes in one statement. Changes of the same chat are folded first, as applying them one by one
 * would: the last name and archived flag given win, the newest timestamp wins, unread increments add up.
 */
async function upsertChats(sql: Sql, connectionId: string, changes: ChatChange[]): Promise<void> {
  if (changes.length === 0) return;
  const byChat = new Map<string, ChatChange>();
  for (const c of changes) {
    const was = byChat.get(c.chatId);
    if (!was) {
      byChat.set(c.chatId, { ...c });
      continue;
    }
    was.name = c.name ?? was.name;
    if (c.conversationTimestamp !== undefined)
      was.conversationTimestamp = Math.max(was.conversationTimestamp ?? 0, c.conversationTimestamp);
    if (c.unreadIncrement !== undefined) was.unreadIncrement = (was.unreadIncrement ?? 0) + c.unreadIncrement;
    if (c.archived !== undefined) was.archived = c.archived;
  }
  // EXCLUDED cannot tell "archived not given" from false: changes that set it go in their own statement.
  const all = [...byChat.values()];
  for (const setsArchived of [false, true]) {
    const list = all.filter((c) => (c.archived !== undefined) === setsArchived);
    if (list.length === 0) continue;
    await sql.query(
      `INSERT INTO connection.chats (connection_id, chat_id, name, conversation_timestamp, unread_count, archived)
       SELECT $1, c, n, COALESCE(t, 0), COALESCE(u, 0), COALESCE(a, false)
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::int[], $6::bool[]) AS x(c, n, t, u, a)
       ON CONFLICT (connection_id, chat_id) DO UPDATE SET
         name = COALESCE(EXCLUDED.name, connection.chats.name),
         conversation_timestamp = GREATEST(connection.chats.conversation_timestamp, EXCLUDED.conversation_timestamp),
         unread_count = connection.chats.unread_count + EXCLUDED.unread_count,
         archived = ${setsArchived ? 'EXCLUDED.archived' : 'connection.chats.archived'}`,
      [
        connectionId,
        list.map((c) => c.chatId),
        list.map((c) => c.name ?? null),
        list.map((c) => c.conversationTimestamp ?? null),
        list.map((c) => c.unreadIncrement ?? null),
        list.map((c) => c.archived ?? null),
      ],
    );
  }
}

/** Every kept message with this id, whoever sent it in whichever chat (newest first). Filter before use. */
export async function messagesWithId(sql: Sql, connectionId: string, keyId: string): Promise<WAMessage[]> {
  const rows = await sql.query<{ data: Buffer }>(
    'SELECT data FROM connection.messages WHERE connection_id = $1 AND key_id = $2 ORDER BY ts DESC',
    [connectionId, keyId],
  );
  return rows.map((r) => decode(r.data));
}

/**
 * The kept message a key names (chat, sender and id: store-key.ts), or undefined: never one someone else sent
 * with the same id. The row under exactly that key first; else the only kept message whose own key can be this
 * one (rows from before the store was keyed this way, or a key in the other JID form). Our own messages
 * (`fromMe`) only we can write, so there the id among ours is enough.
 */
export async function loadMessage(sql: Sql, connectionId: string, key: WAMessageKey): Promise<WAMessage | undefined> {
  const k = storeKeyOf(key);
  if (!k) return undefined;
  const rows = await sql.query<{ chat_id: string; sender: string; data: Buffer }>(
    'SELECT chat_id, sender, data FROM connection.messages WHERE connection_id = $1 AND key_id = $2',
    [connectionId, k.id],
  );
  const exact = rows.find((r) => r.chat_id === k.chat && r.sender === k.sender);
  if (exact) return decode(exact.data);
  const kept = rows.map((r) => decode(r.data)).filter((m) => m.key);
  const matches = key.fromMe ? kept.filter((m) => m.key.fromMe) : kept.filter((m) => sameMessageKey(m.key, key));
  return matches.length === 1 ? matches[0] : undefined;
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
  return rows.map((r) => decode(r.data));
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
    `DELETE FROM connection.messages m USING (
       SELECT chat_id, sender, key_id FROM connection.messages WHERE connection_id = $1 ORDER BY ts DESC OFFSET $2
     ) old
     WHERE m.connection_id = $1 AND m.chat_id = old.chat_id AND m.sender = old.sender AND m.key_id = old.key_id`,
    [connectionId, keep],
  );
}

export async function forgetSessionData(sql: Sql, connectionId: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query('DELETE FROM connection.messages WHERE connection_id = $1', [connectionId]);
    await tx.query('DELETE FROM connection.chats WHERE connection_id = $1', [connectionId]);
    await forgetLabels(tx, connectionId);
  });
}
