import type { Sql } from '@wahooks/db';

/** Thrown when a write comes from an owner whose lease a newer owner has since taken. */
export class FencedOutError extends Error {
  constructor(connectionId: string, token: number) {
    super(`session ${connectionId}: fencing token ${token} is stale; another replica owns it now`);
    this.name = 'FencedOutError';
  }
}

/**
 * Inside a write transaction: records `token` as the session's latest and locks the fence row until commit,
 * or throws FencedOutError if a newer token has already written. `undefined` skips the check (tools, tests).
 */
export async function checkFence(tx: Sql, connectionId: string, token: number | undefined): Promise<void> {
  if (token === undefined) return;
  const rows = await tx.query(
    `INSERT INTO connection.session_fences (connection_id, token) VALUES ($1, $2)
     ON CONFLICT (connection_id) DO UPDATE SET token = EXCLUDED.token
       WHERE connection.session_fences.token <= EXCLUDED.token
     RETURNING token`,
    [connectionId, token],
  );
  if (rows.length === 0) throw new FencedOutError(connectionId, token);
}
