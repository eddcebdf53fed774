import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/**
 * Pending work moves to its own small table, so the outcome UPDATE of `deliveries` changes no indexed column
 * and is a HOT update (heap only, no index entries, the old version pruned inside its page).
 *
 * Before: `deliveries_pending_due_idx` (partial on status = 'pending', keyed on next_attempt_at) made every
 * outcome a non-HOT update: a new tuple plus an entry in each B-tree, and dead index entries that grew until
 * vacuum, so Postgres's CPU per delivery rose within a minute of steady load.
 *
 * After: `pending_deliveries` holds one row per pending delivery (inserted with the delivery, its due time
 * moved by a retry, deleted when the delivery settles, all in the same statements), and stays the size of the
 * work in flight; the stale sweep scans it by due time. No foreign key (its check would lock the delivery row
 * on every insert): a row whose delivery is gone or settled is removed by the sweep. `deliveries` gets
 * fillfactor 80 (room in each page for the one update each row gets). Vacuum of the small table is made eager
 * (it churns at the delivery rate).
 */
export class PendingDeliveries1764280000000 implements MigrationInterface {
  name = 'PendingDeliveries1764280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pending_deliveries (
        delivery_id uuid PRIMARY KEY,
        due_at timestamptz NOT NULL -- the next attempt's due time; overdue by the stale window = task lost
      ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
              autovacuum_vacuum_cost_delay = 0, autovacuum_vacuum_insert_scale_factor = 0,
              autovacuum_vacuum_insert_threshold = 5000);
      CREATE INDEX pending_deliveries_due_idx ON pending_deliveries (due_at);
      INSERT INTO pending_deliveries (delivery_id, due_at)
        SELECT id, COALESCE(next_attempt_at, created_at) FROM deliveries WHERE status = 'pending';
      DROP INDEX deliveries_pending_due_idx;
      ALTER TABLE deliveries SET (fillfactor = 80);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE deliveries RESET (fillfactor);
      CREATE INDEX deliveries_pending_due_idx ON deliveries ((COALESCE(next_attempt_at, created_at)))
        WHERE status = 'pending';
      DROP TABLE pending_deliveries;
    `);
  }
}
