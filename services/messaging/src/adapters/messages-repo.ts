/**
 * Messages sent through the API: one row per WhatsApp message id with its status, the status history, and its
 * place in its chat's queue. `chat_seq` comes from chat_sequences in the same statement as the row, under the
 * sequence row's lock, so a later send of the same chat always sees the earlier one's row (any replica). The hot
 * writes are one statement each (data-modifying CTEs): atomic without BEGIN/COMMIT round trips.
 */
import type { MessageStatus } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { FORWARD } from '../domain/status.js';

export interface MessageRow {
  connection_id: string;
  message_id: string;
  user_id: string;
  chat_id: string;
  type: string;
  status: MessageStatus;
  error: string | null;
  sent_at: string | null; // bigint, Unix seconds
  created_at: Date;
}

export interface Accepted {
  connectionId: string;
  messageId: string;
  userId: string;
  chat: string; // Jid
  type: string;
  turnUntil: Date;
}

/** SQL: the rank of a status in FORWARD (failed ranks with sent: it may replace pending or sent). */
const rank = (expr: string) =>
  `COALESCE(array_position(ARRAY[${FORWARD.map((s) => `'${s}'`).join(',')}]::text[], ${expr}), 2)`;

export class MessagesRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * Records the message (a retry reuses its row) with its `pending` history entry and hands it the next place in
   * its chat, in ONE statement (atomic, no BEGIN/COMMIT round trips). `earlierOpen` is whether an earlier message
   * of the chat still holds its turn, when that can be told from this statement's snapshot: only when no other
   * send of the chat was accepted between the snapshot and our sequence number (then every earlier row is
   * visible); otherwise undefined (ask `earlierTurnOpen`, which sees the latest commits). A turn closed after the
   * snapshot reads as open: that errs on the side of waiting.
   */
  async accept(m: Accepted): Promise<{ seq: number; earlierOpen?: boolean }> {
    const [row] = await this.sql.prepared<{ last_seq: string; before: string | null; earlier_open: boolean }>(
      'messaging-message-accept-one',
      `WITH seq AS (
         INSERT INTO messaging.chat_sequences (connection_id, chat_id, last_seq) VALUES ($1, $4, 1)
         ON CONFLICT (connection_id, chat_id) DO UPDATE SET last_seq = messaging.chat_sequences.last_seq + 1
         RETURNING last_seq),
       msg AS (
         INSERT INTO messaging.messages
           (connection_id, message_id, user_id, chat_id, type, chat_seq, turn_open, turn_until)
         SELECT $1, $2, $3, $4, $5, last_seq, true, $6 FROM seq
         ON CONFLICT (connection_id, message_id) DO UPDATE SET chat_seq = EXCLUDED.chat_seq, turn_open = true,
           turn_until = EXCLUDED.turn_until, error = NULL, updated_at = now()),
       hist AS (
         INSERT INTO messaging.message_statuses (connection_id, message_id, status, at) VALUES ($1, $2, 'pending', $7)
         ON CONFLICT DO NOTHING)
       SELECT seq.last_seq,
         (SELECT s.last_seq FROM messaging.chat_sequences s WHERE s.connection_id = $1 AND s.chat_id = $4) AS before,
         EXISTS (SELECT 1 FROM messaging.messages e
                 WHERE e.connection_id = $1 AND e.chat_id = $4 AND e.chat_seq < seq.last_seq
                   AND e.turn_open AND e.turn_until > now()) AS earlier_open
       FROM seq`,
      [m.connectionId, m.messageId, m.userId, m.chat, m.type, m.turnUntil, new Date()],
    );
    const seq = Number(row!.last_seq);
    // The snapshot saw the sequence just before ours (or none for the first): nothing was accepted in between.
    const exact = Number(row!.before ?? 0) === seq - 1;
    return exact ? { seq, earlierOpen: row!.earlier_open } : { seq };
  }

  /** Whether an earlier message of this chat still holds its turn (and its holder's deadline has not passed). */
  async earlierTurnOpen(connectionId: string, chat: string, seq: number): Promise<boolean> {
    const rows = await this.sql.prepared(
      'messaging-turn-earlier',
      `SELECT 1 FROM messaging.messages
       WHERE connection_id = $1 AND chat_id = $2 AND chat_seq < $3 AND turn_open AND turn_until > now() LIMIT 1`,
      [connectionId, chat, seq],
    );
    return rows.length > 0;
  }

  async closeTurn(connectionId: string, messageId: string): Promise<void> {
    await this.sql.prepared(
      'messaging-turn-close',
      'UPDATE messaging.messages SET turn_open = false WHERE connection_id = $1 AND message_id = $2',
      [connectionId, messageId],
    );
  }

  /**
   * Moves the status forward to `status` (never back) and records it in the history at `at`, once per status, in
   * one statement. `failed` applies to pending and sent messages only. `closeTurn` also ends the message's turn
   * in its chat. Returns the status now, or undefined for an unknown id.
   */
  async advance(
    connectionId: string,
    messageId: string,
    status: MessageStatus,
    at: Date,
    extra: { sentAt?: number; error?: string | null; closeTurn?: boolean } = {},
  ): Promise<MessageStatus | undefined> {
    const [row] = await this.sql.prepared<{ status: MessageStatus }>(
      'messaging-status-advance-one',
      `WITH upd AS (
         UPDATE messaging.messages SET
           status = CASE WHEN ${rank('status')} < ${rank('$3::text')} OR ($3 = 'failed' AND status IN ('pending', 'sent'))
                    THEN $3 ELSE status END,
           sent_at = COALESCE(sent_at, $4), error = CASE WHEN $6 THEN $5 ELSE error END, updated_at = now(),
           turn_open = turn_open AND NOT $8
         WHERE connection_id = $1 AND message_id = $2
         RETURNING status),
       hist AS (
         -- a refused "failed" is not part of its history
         INSERT INTO messaging.message_statuses (connection_id, message_id, status, at)
         SELECT $1, $2, $3, $7 FROM upd WHERE $3 <> 'failed' OR upd.status = 'failed'
         ON CONFLICT DO NOTHING)
       SELECT status FROM upd`,
      [
        connectionId,
        messageId,
        status,
        extra.sentAt ?? null,
        extra.error ?? null,
        extra.error !== undefined,
        at,
        Boolean(extra.closeTurn),
      ],
    );
    return row?.status;
  }

  /** The outcome is unknown: the status stays as it is (a receipt may still move it), the reason is kept. */
  async noteError(connectionId: string, messageId: string, error: string): Promise<void> {
    await this.sql.prepared(
      'messaging-message-note',
      'UPDATE messaging.messages SET error = $3, updated_at = now() WHERE connection_id = $1 AND message_id = $2',
      [connectionId, messageId, error],
    );
  }

  async find(connectionId: string, messageId: string): Promise<MessageRow | undefined> {
    const [row] = await this.sql.prepared<MessageRow>(
      'messaging-message-find',
      `SELECT connection_id, message_id, user_id, chat_id, type, status, error, sent_at, created_at
       FROM messaging.messages WHERE connection_id = $1 AND message_id = $2`,
      [connectionId, messageId],
    );
    return row;
  }

  async history(connectionId: string, messageId: string): Promise<{ status: MessageStatus; at: Date }[]> {
    return this.sql.prepared(
      'messaging-status-history',
      `SELECT status, at FROM messaging.message_statuses WHERE connection_id = $1 AND message_id = $2
       ORDER BY at, ${rank('status')}`,
      [connectionId, messageId],
    );
  }

  /** Deletes messages older than `days` (their history goes with them), at most `limit` per call. */
  async purgeOlderThan(days: number, limit = 5000): Promise<number> {
    const rows = await this.sql.query(
      `DELETE FROM messaging.messages WHERE ctid IN (
         SELECT ctid FROM messaging.messages WHERE created_at < now() - make_interval(days => $1) LIMIT $2)
       RETURNING 1`,
      [days, limit],
    );
    return rows.length;
  }
}
