import type { MigrationInterface, QueryRunner } from '@wahooks/db';

/**
 * Retention scans by age. BRIN: rows are appended in time order, and a BRIN index costs next to nothing on
 * the hot insert path (unlike a B-tree on every delivery and event).
 */
export class RetentionIndexes1764260000000 implements MigrationInterface {
  name = 'RetentionIndexes1764260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX deliveries_created_brin ON deliveries USING brin (created_at) WITH (autosummarize = on);
      CREATE INDEX events_created_brin ON events USING brin (created_at) WITH (autosummarize = on);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX deliveries_created_brin; DROP INDEX events_created_brin;');
  }
}
