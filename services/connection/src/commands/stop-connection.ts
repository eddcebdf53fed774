/**
 * Stopping a connection for real, the one path of `DELETE /api/connections/:id` and of billing enforcement: the
 * replica holding the session logs the number out and closes its socket (with no holder, the stored credentials
 * are wiped), then the row is marked `stopped` with its connection.connection.deleted event in the outbox.
 * Idempotent: a stopped connection is returned as it is.
 */
import type { Broker } from '@wahooks/broker';
import { ConnectionDeleted } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { useDatabaseAuthState } from '../auth/database-auth-state.js';
import { setConnectionStatus, type ConnectionRow } from '../connections/connections-repo.js';
import { appendLifecycleEvent } from '../outbox/outbox-repo.js';
import { forgetSessionData } from '../sessions/session-store.js';
import { askOwner } from './session-client.js';

export interface StopDeps {
  sql: Sql;
  broker: Broker;
  /** Wakes the outbox relay after the deleted event is written (it also polls). */
  kickRelay?: () => void;
}

export async function stopConnection(deps: StopDeps, row: ConnectionRow): Promise<ConnectionRow> {
  const { sql, broker } = deps;
  if (row.status === 'stopped') return row; // calling it again is harmless
  // The owner logs the number out and closes its socket for real; with no owner, drop the credentials.
  const done = await askOwner(broker, row.id, 'logout', {}, 15_000).catch(() => undefined);
  if (!done) {
    const auth = await useDatabaseAuthState(sql, row.id);
    await auth.wipe();
    await forgetSessionData(sql, row.id);
  }
  const stopped = await sql.transaction(async (tx) => {
    // Locked, so two concurrent stops write one deleted event.
    const [current] = await tx.query<ConnectionRow>('SELECT * FROM connection.connections WHERE id = $1 FOR UPDATE', [
      row.id,
    ]);
    if (current?.status === 'stopped') return current;
    const updated = await setConnectionStatus(tx, row.id, 'stopped');
    await appendLifecycleEvent(tx, row.id, ConnectionDeleted.type, { connectionId: row.id, userId: row.user_id });
    return updated;
  });
  deps.kickRelay?.();
  return stopped;
}
