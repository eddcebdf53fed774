/** billing.usage_records: connection-hours metered per connection per sampling period. */
import type { Sql } from '@wahooks/db';

export class UsageRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * One row per connection for the period starting at `periodStart` (ms); a connection already metered for it
   * (another replica's sample, or a repeated one) is skipped. Returns the rows written.
   */
  async record(
    connections: readonly { id: string; userId: string }[],
    periodStart: number,
    periodMs: number,
  ): Promise<number> {
    if (connections.length === 0) return 0;
    const rows = await this.sql.query(
      `INSERT INTO "billing"."usage_records" ("connection_id", "user_id", "period_start", "period_end", "connection_hours")
       SELECT c.id, c.user_id, $3, $4, $5 FROM unnest($1::uuid[], $2::uuid[]) AS c(id, user_id)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        connections.map((c) => c.id),
        connections.map((c) => c.userId),
        new Date(periodStart),
        new Date(periodStart + periodMs),
        (periodMs / 3_600_000).toFixed(6),
      ],
    );
    return rows.length;
  }

  /** Hours and distinct connections metered for a user since `since`. */
  async summary(userId: string, since: Date): Promise<{ totalHours: number; activeConnections: number }> {
    const [row] = await this.sql.query<{ hours: string | null; connections: string }>(
      `SELECT sum("connection_hours") AS "hours", count(DISTINCT "connection_id") AS "connections"
       FROM "billing"."usage_records" WHERE "user_id" = $1 AND "period_start" >= $2`,
      [userId, since],
    );
    return { totalHours: Number(row?.hours ?? 0), activeConnections: Number(row?.connections ?? 0) };
  }
}
