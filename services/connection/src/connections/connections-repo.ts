/** The connections table (the original's `waha_sessions`): rows, ownership checks and the set of sessions to run. */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, forbidden, isUuid, notFound } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import type { ConnectionStatus } from '../events/index.js';

export interface ConnectionRow {
  id: string;
  user_id: string;
  name: string | null;
  session_name: string;
  phone_number: string | null;
  status: ConnectionStatus;
  status_reason: string | null;
  engine: string;
  owner: string | null;
  created_at: Date;
  updated_at: Date;
}

export function assertConnectionId(id: string): string {
  if (!isUuid(id)) throw badRequest('Invalid connection id');
  return id.toLowerCase();
}

/** `u_` + the user id's first 12 hex + `_s_` + 12 random hex (≤ 54 chars, as WAHA allows). */
export const newSessionName = (userId: string) =>
  `u_${userId.replace(/-/g, '').slice(0, 12)}_s_${randomBytes(6).toString('hex')}`;

export async function insertConnection(sql: Sql, userId: string, name: string | null): Promise<ConnectionRow> {
  const [row] = await sql.query<ConnectionRow>(
    `INSERT INTO connection.connections (id, user_id, name, session_name) VALUES ($1, $2, $3, $4) RETURNING *`,
    [randomUUID(), userId, name, newSessionName(userId)],
  );
  return row!;
}

export async function findConnection(sql: Sql, id: string): Promise<ConnectionRow | undefined> {
  const [row] = await sql.query<ConnectionRow>('SELECT * FROM connection.connections WHERE id = $1', [id]);
  return row;
}

/** 400 for a malformed id, 404 when missing, 403 when another user's. */
export async function ownedConnection(sql: Sql, userId: string, rawId: string): Promise<ConnectionRow> {
  const row = await findConnection(sql, assertConnectionId(rawId));
  if (!row) throw notFound('Connection not found');
  if (row.user_id !== userId) throw forbidden('You do not own this connection');
  return row;
}

export async function listConnections(sql: Sql, userId: string): Promise<ConnectionRow[]> {
  return sql.query<ConnectionRow>(
    `SELECT * FROM connection.connections WHERE user_id = $1 AND status <> 'stopped' ORDER BY created_at DESC`,
    [userId],
  );
}

export async function renameConnection(sql: Sql, id: string, name: string | null): Promise<ConnectionRow> {
  const [row] = await sql.query<ConnectionRow>(
    'UPDATE connection.connections SET name = $2, updated_at = now() WHERE id = $1 RETURNING *',
    [id, name],
  );
  return row!;
}

export async function setConnectionStatus(
  sql: Sql,
  id: string,
  status: ConnectionStatus,
  reason: string | null = null,
): Promise<ConnectionRow> {
  const [row] = await sql.query<ConnectionRow>(
    `UPDATE connection.connections SET status = $2, status_reason = $3, updated_at = now(),
       owner = CASE WHEN $2 = 'stopped' THEN NULL ELSE owner END
     WHERE id = $1 RETURNING *`,
    [id, status, reason],
  );
  return row!;
}

export async function setOwner(sql: Sql, id: string, owner: string | null): Promise<void> {
  await sql.query('UPDATE connection.connections SET owner = $2 WHERE id = $1', [id, owner]);
}

/** The newest connection of a user that is waiting to be linked (get-or-create reuses it). */
export async function newestIdleConnection(sql: Sql, userId: string): Promise<ConnectionRow | undefined> {
  const [row] = await sql.query<ConnectionRow>(
    `SELECT * FROM connection.connections WHERE user_id = $1 AND status IN ('scan_qr', 'pending', 'failed')
     ORDER BY created_at DESC LIMIT 1`,
    [userId],
  );
  return row;
}

/** Sessions some replica should be running: everything not stopped or failed. */
export async function runnableConnectionIds(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM connection.connections WHERE status IN ('pending', 'scan_qr', 'working')`,
  );
  return rows.map((r) => r.id);
}
