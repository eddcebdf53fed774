/** What billing asks of this service (contracts commands/connection-usage.ts): counts and linked connections. */
import { handle, type CommandBinding } from '@wahooks/broker';
import { CountConnections, ListWorkingConnections, WORKING_PAGE_SIZE } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';

/** `maxPerUser`: MAX_CONNECTIONS_PER_USER, reported with the counts so billing's status applies the same bound. */
export function connectionUsageCommands(sql: Sql, maxPerUser: number): CommandBinding[] {
  return [
    handle(CountConnections, async ({ userId }) => {
      const [row] = await sql.query<{ active: number; working: number }>(
        `SELECT count(*) FILTER (WHERE status <> 'stopped')::int AS active,
                count(*) FILTER (WHERE status = 'working')::int AS working
         FROM connection.connections WHERE user_id = $1`,
        [userId],
      );
      return { active: row?.active ?? 0, working: row?.working ?? 0, maxPerUser };
    }),
    handle(ListWorkingConnections, async ({ after }) => {
      const rows = await sql.query<{ id: string; userId: string }>(
        `SELECT id, user_id AS "userId" FROM connection.connections
         WHERE status = 'working' AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
        [after ?? null, WORKING_PAGE_SIZE],
      );
      return { connections: rows };
    }),
  ];
}
