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
    const outbox = await db.query<{ sent: boolean }>(
      'SELECT sent_at IS NOT NULL AS sent FROM connection.outbox WHERE body LIKE $1',
      [like],
    );
    const events = await db
      .query<{ status: string; attempts: number }>(
        `SELECT d.status, d.attempts FROM webhook_delivery.events e
         LEFT JOIN webhook_delivery.deliveries d ON d.event_id = e.id WHERE e.body LIKE $1`,
        [like],
      )
      .catch(() => ({ rows: [] as { status: string; attempts: number }[] }));
    out[id] = [
      stored.rowCount ? 'stored' : 'not stored',
      outbox.rows.length ? `outbox ${outbox.rows.map((r) => (r.sent ? 'sent' : 'unsent')).join('/')}` : 'no outbox row',
      events.rows.length
        ? `delivery ${events.rows.map((r) => `${r.status ?? 'none'}×${r.attempts ?? 0}`).join('/')}`
        : 'no webhook event',
    ].join(', ');
  }
  return out;
}
