/**
 * The two statements every send makes on the message store, batched across all sessions of this replica: the
 * lookups of an earlier send with the same id (idempotency) asked in one event-loop turn go out as one query,
 * and the records of the sends that finished in one turn as one multi-row upsert (libs/batching). Under load a
 * turn holds several sends, so a send costs a fraction of a round trip each time instead of one.
 */
import type { WAMessage } from '@whiskeysockets/baileys';
import { KeyedTurnBatch, type Waiter } from '@wahooks/batching';
import type { Sql } from '@wahooks/db';
import { upsertMessages } from '../session-store.js';

/** One of our own stored messages with the asked id: its chat (store key form) and timestamp (Unix seconds). */
export interface OwnMessageRow {
  chat_id: string;
  ts: string;
}

export class SendStore {
  private readonly lookups = new KeyedTurnBatch<string, OwnMessageRow[]>((batch) => void this.lookUp(batch));
  private readonly records = new KeyedTurnBatch<string, void>((batch) => void this.write(batch));
  /** The message of each record key not yet taken by a write (a later record of the same key replaces it). */
  private readonly toWrite = new Map<string, { connectionId: string; message: WAMessage }>();
  private seq = 0;

  constructor(private readonly sql: Sql) {}

  /** Our own stored messages (`from_me`) of this connection with this id, in any chat. */
  ownMessagesWithId(connectionId: string, messageId: string): Promise<OwnMessageRow[]> {
    return this.lookups.add(`${connectionId}\n${messageId}`);
  }

  /** Stores a message we just sent; resolves once it is committed. */
  record(connectionId: string, message: WAMessage): Promise<void> {
    const key = String(this.seq++); // every record is written; upsertMessages keeps the last of a store key
    this.toWrite.set(key, { connectionId, message });
    return this.records.add(key);
  }

  private async lookUp(batch: Map<string, Waiter<OwnMessageRow[]>[]>): Promise<void> {
    const keys = [...batch.keys()].map((k) => k.split('\n') as [string, string]);
    try {
      const rows = await this.sql.prepared<{ connection_id: string; key_id: string; chat_id: string; ts: string }>(
        'outbound_own_messages_with_ids',
        `SELECT m.connection_id, m.key_id, m.chat_id, m.ts FROM connection.messages m
         JOIN unnest($1::uuid[], $2::text[]) AS u(c, k) ON m.connection_id = u.c AND m.key_id = u.k
         WHERE m.from_me`,
        [keys.map((k) => k[0]), keys.map((k) => k[1])],
      );
      const found = new Map<string, OwnMessageRow[]>();
      for (const r of rows) {
        const key = `${r.connection_id}\n${r.key_id}`;
        const list = found.get(key) ?? [];
        list.push({ chat_id: r.chat_id, ts: r.ts });
        found.set(key, list);
      }
      for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key) ?? []);
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }

  private async write(batch: Map<string, Waiter<void>[]>): Promise<void> {
    const messages = [...batch.keys()].map((key) => {
      const m = this.toWrite.get(key)!;
      this.toWrite.delete(key);
      return m;
    });
    try {
      await upsertMessages(this.sql, messages);
      for (const waiters of batch.values()) for (const w of waiters) w.resolve();
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }
}
