/** Local projection of connection ownership, fed by connection.connection.created/deleted. */
import type { Sql } from '@wahooks/db';

export function createConnectionsRepo(sql: Sql) {
  return {
    upsert: async (id: string, userId: string) => {
      await sql.query(
        `INSERT INTO connections (id, user_id) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, updated_at = now()`,
        [id, userId],
      );
    },
    /** The connection is gone: so are its webhooks and their logs (the original cascades). */
    remove: async (id: string) => {
      await sql.transaction(async (tx) => {
        await tx.query('DELETE FROM webhooks WHERE connection_id = $1', [id]); // cascades to deliveries, attempts
        await tx.query('DELETE FROM events WHERE connection_id = $1', [id]); // bodies nobody references any more
        await tx.query('DELETE FROM connections WHERE id = $1', [id]);
      });
    },
    ownerOf: async (id: string): Promise<string | null> => {
      const out = await sql.query<{ user_id: string }>('SELECT user_id FROM connections WHERE id = $1', [id]);
      return out[0]?.user_id ?? null;
    },
  };
}
export type ConnectionsRepo = ReturnType<typeof createConnectionsRepo>;
