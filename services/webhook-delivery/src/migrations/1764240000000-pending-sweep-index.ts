import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/** The stale-pending sweep (handlers/sweep-stale-deliveries.ts) scans pending deliveries by due time. */
export class PendingSweepIndex1764240000000 implements MigrationInterface {
  name = 'PendingSweepIndex1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX deliveries_pending_due_idx ON deliveries ((COALESCE(next_attempt_at, created_at))) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX deliveries_pending_due_idx');
  }
}
