/**
 * Idempotency keys, per user, kept 24 h. One row per key: the request's fingerprint, the WhatsApp id chosen for
 * its message, and where it stands (running until lease_until, unknown, done with the response to replay).
 * A definite failure (nothing was sent) deletes the row: the key is free to try again.
 */
import type { Sql } from '@wahooks/db';
import type { SentMessage } from '@wahooks/contracts';

export const IDEMPOTENCY_WINDOW_HOURS = 24;

export type Claim =
  | { kind: 'new'; messageId: string } // this request owns the key: send `messageId`
  | { kind: 'retry'; messageId: string } // an earlier try's outcome is unknown: send the same id again
  | { kind: 'replay'; response: SentMessage } // done before: answer the same
  | { kind: 'mismatch' } // the key was used with another body
  | { kind: 'busy' }; // another request with this key is sending right now

interface Row {
  fingerprint: string;
  message_id: string;
  state: 'running' | 'unknown' | 'done';
  lease_expired: boolean;
  response: SentMessage | null;
}

export class IdempotencyRepo {
  constructor(private readonly sql: Sql) {}

  async claim(userId: string, key: string, fp: string, messageId: string, leaseUntil: Date): Promise<Claim> {
    // A row older than the window is a key used for the first time again.
    const [mine] = await this.sql.prepared<{ message_id: string }>(
      'messaging-idem-claim',
      `INSERT INTO messaging.idempotency_keys (user_id, key, fingerprint, message_id, state, lease_until)
       VALUES ($1, $2, $3, $4, 'running', $5)
       ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, message_id = EXCLUDED.message_id,
         state = 'running', lease_until = EXCLUDED.lease_until, response = NULL, created_at = now()
       WHERE messaging.idempotency_keys.created_at < now() - make_interval(hours => ${IDEMPOTENCY_WINDOW_HOURS})
       RETURNING message_id`,
      [userId, key, fp, messageId, leaseUntil],
    );
    if (mine) return { kind: 'new', messageId: mine.message_id };

    const [row] = await this.sql.prepared<Row>(
      'messaging-idem-get',
      `SELECT fingerprint, message_id, state, lease_until < now() AS lease_expired, response
       FROM messaging.idempotency_keys WHERE user_id = $1 AND key = $2`,
      [userId, key],
    );
    if (!row) return { kind: 'busy' }; // deleted (a failed try) in between: the caller asks again
    if (row.fingerprint !== fp) return { kind: 'mismatch' };
    if (row.state === 'done' && row.response) return { kind: 'replay', response: row.response };
    if (row.state === 'running' && !row.lease_expired) return { kind: 'busy' };
    // Unknown outcome, or a try whose replica died mid-send: take it over, same message id.
    const [taken] = await this.sql.prepared<{ message_id: string }>(
      'messaging-idem-takeover',
      `UPDATE messaging.idempotency_keys SET state = 'running', lease_until = $3
       WHERE user_id = $1 AND key = $2 AND (state = 'unknown' OR (state = 'running' AND lease_until < now()))
       RETURNING message_id`,
      [userId, key, leaseUntil],
    );
    return taken ? { kind: 'retry', messageId: taken.message_id } : { kind: 'busy' };
  }

  async done(userId: string, key: string, messageId: string, response: SentMessage): Promise<void> {
    await this.sql.prepared(
      'messaging-idem-done',
      `UPDATE messaging.idempotency_keys SET state = 'done', response = $4
       WHERE user_id = $1 AND key = $2 AND message_id = $3`,
      [userId, key, messageId, JSON.stringify(response)],
    );
  }

  /** The outcome is unknown: the next try with this key re-sends the same message id. */
  async unknown(userId: string, key: string, messageId: string): Promise<void> {
    await this.sql.prepared(
      'messaging-idem-unknown',
      `UPDATE messaging.idempotency_keys SET state = 'unknown', lease_until = now()
       WHERE user_id = $1 AND key = $2 AND message_id = $3`,
      [userId, key, messageId],
    );
  }

  /** Nothing was sent: the key is free again. */
  async release(userId: string, key: string, messageId: string): Promise<void> {
    await this.sql.prepared(
      'messaging-idem-release',
      'DELETE FROM messaging.idempotency_keys WHERE user_id = $1 AND key = $2 AND message_id = $3',
      [userId, key, messageId],
    );
  }

  async purgeExpired(): Promise<number> {
    const rows = await this.sql.query(
      `DELETE FROM messaging.idempotency_keys
       WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_WINDOW_HOURS}) RETURNING 1`,
    );
    return rows.length;
  }
}
