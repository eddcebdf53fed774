/**
 * Enforcement of billing.slots.changed: when a user's slots drop below the connections they hold, the newest
 * surplus connections are stopped for real (logged out, socket closed, `stopped`), through the path of DELETE.
 *
 * The event says *that* the slots changed; the handler asks billing for the current allowance, so events
 * handled late or out of order (a retry goes to the back of the queue) converge on the latest state, and admins
 * (never limited) are left alone. Billing unreachable → the handler throws and the broker retries, then
 * dead-letters (`dead-letters:connection`, replayable).
 */
import { on, type Broker, type EventBinding } from '@wahooks/broker';
import { BillingSlotsChanged, slotLimit } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import type { Logger } from '@wahooks/telemetry';
import type { ConnectionRow } from '../connections/connections-repo.js';
import { stopConnection } from '../commands/stop-connection.js';
import { fetchAllowance, lockUserConnections } from './slot-gate.js';

export interface EnforceDeps {
  sql: Sql;
  broker: Broker;
  logger: Logger;
  kickRelay?: () => void;
}

/** The user's non-stopped connections beyond `limit`, newest first. */
async function surplusConnections(sql: Sql, userId: string, limit: number): Promise<ConnectionRow[]> {
  return sql.transaction(async (tx) => {
    await lockUserConnections(tx, userId); // not while a create of this user is counting
    const rows = await tx.query<ConnectionRow>(
      `SELECT * FROM connection.connections WHERE user_id = $1 AND status <> 'stopped'
       ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.slice(0, Math.max(0, rows.length - limit));
  });
}

export function enforceSlots(deps: EnforceDeps): EventBinding {
  return on(BillingSlotsChanged, async ({ userId }) => {
    const allowance = await fetchAllowance(deps.broker, userId);
    const limit = allowance.enabled ? slotLimit(allowance) : null;
    if (limit === null) return;
    const surplus = await surplusConnections(deps.sql, userId, limit);
    for (const row of surplus) await stopConnection(deps, row);
    if (surplus.length > 0)
      deps.logger.info(
        { userId, slots: limit, stopped: surplus.map((r) => r.id) },
        'connections beyond the paid slots stopped',
      );
  });
}
