/**
 * This service's projection of the connection service's connections: who owns each one and its status, kept
 * from `connection.connection.created/deleted` and `session.status` events, and refreshed by asking the
 * connection service (GetConnection) whenever the projection cannot confirm a send may go. `status_at` (ms) is
 * the time of the fact that set the status: an older fact arriving late changes nothing.
 */
import type { Sql } from '@wahooks/db';

export type ConnectionStatus = 'pending' | 'scan_qr' | 'working' | 'failed' | 'stopped';

export interface ConnectionRow {
  id: string;
  userId: string;
  status: ConnectionStatus;
}

export class ConnectionsRepo {
  constructor(private readonly sql: Sql) {}

  async get(id: string): Promise<ConnectionRow | undefined> {
    const [row] = await this.sql.prepared<{ id: string; user_id: string; status: ConnectionStatus }>(
      'messaging-connection-get',
      'SELECT id, user_id, status FROM messaging.connections WHERE id = $1',
      [id],
    );
    return row && { id: row.id, userId: row.user_id, status: row.status };
  }

  /** The status as of `atMs`; a row that knows a later fact keeps it. Creates the row when missing. */
  async record(id: string, userId: string, status: ConnectionStatus, atMs: number): Promise<void> {
    await this.sql.prepared(
      'messaging-connection-record',
      `INSERT INTO messaging.connections (id, user_id, status, status_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, status = EXCLUDED.status, status_at = EXCLUDED.status_at
       WHERE messaging.connections.status_at < EXCLUDED.status_at`,
      [id, userId, status, atMs],
    );
  }

  /** A created connection: known from now on, status pending unless something newer is known. */
  async created(id: string, userId: string): Promise<void> {
    await this.sql.prepared(
      'messaging-connection-created',
      `INSERT INTO messaging.connections (id, user_id, status, status_at) VALUES ($1, $2, 'pending', 0)
       ON CONFLICT (id) DO NOTHING`,
      [id, userId],
    );
  }
}
