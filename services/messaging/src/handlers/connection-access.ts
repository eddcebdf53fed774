/**
 * May this user act on this connection, and is it linked? The projection answers when it can confirm; anything
 * else (unknown id, or a status that would refuse the send) is asked of the connection service, so a connection
 * linked a moment ago is not refused on a stale status. A projection that says "working" while the session just
 * dropped costs nothing: the owner refuses the send itself (409).
 */
import type { Broker } from '@wahooks/broker';
import { AppError, forbidden, GetConnection, isUuid, notFound, unavailable } from '@wahooks/contracts';
import type { ConnectionRow, ConnectionsRepo } from '../adapters/connections-repo.js';

export interface ConnectionAccess {
  /** The connection, owned by `userId` (404/403), whatever its status. */
  owned(userId: string, connectionId: string): Promise<ConnectionRow>;
  /** The same, and linked to WhatsApp (409 otherwise). */
  linked(userId: string, connectionId: string): Promise<ConnectionRow>;
}

export function connectionAccess(connections: ConnectionsRepo, broker: Broker): ConnectionAccess {
  async function fresh(connectionId: string): Promise<ConnectionRow | undefined> {
    try {
      const c = await broker.request(GetConnection, { connectionId }, { timeoutMs: 3000 });
      await connections.record(c.id, c.userId, c.status, Date.now());
      return { id: c.id, userId: c.userId, status: c.status };
    } catch (err) {
      if (err instanceof AppError && (err.statusCode === 404 || err.statusCode === 400)) return undefined;
      if (err instanceof AppError && err.statusCode >= 500)
        throw unavailable('Connection service unavailable, retry shortly');
      throw err;
    }
  }

  async function lookup(userId: string, connectionId: string, needLinked: boolean): Promise<ConnectionRow> {
    if (!isUuid(connectionId)) throw notFound('Connection not found');
    let row = await connections.get(connectionId);
    if (!row || (needLinked && row.status !== 'working')) row = (await fresh(connectionId)) ?? row;
    if (!row) throw notFound('Connection not found');
    if (row.userId !== userId) throw forbidden('You do not own this connection');
    return row;
  }

  return {
    owned: (userId, connectionId) => lookup(userId, connectionId, false),
    async linked(userId, connectionId) {
      const row = await lookup(userId, connectionId, true);
      if (row.status === 'working') return row;
      if (row.status === 'stopped')
        throw new AppError(409, 'Connection is stopped (deleted): create a new connection and scan its QR code');
      throw new AppError(
        409,
        `Connection is not linked to WhatsApp (status: ${row.status}): scan its QR code (GET /api/connections/${row.id}/qr) with the phone first`,
      );
    },
  };
}
