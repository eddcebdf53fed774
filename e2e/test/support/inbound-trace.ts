/**
 * Where an inbound message that never reached the receiver stopped, read from the services' own tables: stored by
 * the connection service (`connection.messages`), written to its outbox and relayed (`connection.outbox`), taken
 * in by webhook-delivery (`webhook_delivery.events`) and its delivery's state. For a failure message only.
 */
import type pg from 'pg';

export async function inboundStages(db: pg.Pool, ids: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of ids) {
    const like = `%${id}%`;
    const stored = await db.query('SELECT 1 FROM connection.messages WHERE key_id = $1', [id]);
    const outbox = await db.query<{ event: string; sent: boolean }>(
      `SELECT body::json->>'event' AS event, sent_at IS NOT NULL AS sent FROM connection.outbox WHERE body LIKE $1`,
      [like],
    );
    const events = await db
      .query<{ event: string; status: string | null; attempts: number | null }>(
        `SELECT e.event, d.status, d.attempts FROM webhook_delivery.events e
         LEFT JOIN webhook_delivery.deliveries d ON d.event_id = e.id WHERE e.body LIKE $1`,
        [like],
      )
      .catch(() => ({ rows: [] as { event: string; status: string | null; attempts: number | null }[] }));
    out[id] = [
      stored.rowCount ? 'stored' : 'not stored',
      `outbox [${outbox.rows.map((r) => `${r.event} ${r.sent ? 'sent' : 'unsent'}`).join(', ')}]`,
      `webhook events [${events.rows.map((r) => `${r.event} ${r.status ?? 'no delivery'}×${r.attempts ?? 0}`).join(', ')}]`,
    ].join(', ');
  }
  return out;
}
