/**
 * startVacuumKeeper against the real Postgres: a table whose rows are all updated gets vacuumed (its dead tuples
 * go, its vacuum counter moves) and analysed; below the threshold, in mode 'off', and while another session holds
 * the table's turn, it is left alone; 'auto' follows the server's own autovacuum setting.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { closeDatabase, openDatabase, sqlOf, startVacuumKeeper, type DataSource, type Sql } from '@wahooks/db';
import type { MigrationInterface, QueryRunner } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import pg from 'pg';

class ChurnInit1764230500000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE churn (id int PRIMARY KEY, n int NOT NULL)');
    await q.query('CREATE TABLE quiet (id int PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE churn; DROP TABLE quiet');
  }
}

const SCHEMA = 'vacuum_t';
let env: TestEnv;
let db: DataSource;
let sql: Sql;

interface Counters {
  n_dead_tup: number;
  vacuum_count: number;
  manual_vacuums: number;
  analyze_count: number;
}
/** The server's counters for one table (they reach pg_stat_user_tables within about a second). */
async function counters(table: string): Promise<Counters> {
  const [row] = await sql.query<Record<keyof Counters, string>>(
    `SELECT n_dead_tup, vacuum_count + autovacuum_count AS vacuum_count, vacuum_count AS manual_vacuums,
            analyze_count + autoanalyze_count AS analyze_count
       FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2`,
    [SCHEMA, table],
  );
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)])) as unknown as Counters;
}
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
/** 20 000 rows, every one updated twice: 40 000 dead versions once the server's counters catch up. */
async function makeDeadRows(): Promise<void> {
  await sql.query('TRUNCATE churn');
  await sql.query('INSERT INTO churn SELECT g, 0 FROM generate_series(1, 20000) g');
  await sql.query('UPDATE churn SET n = n + 1');
  await sql.query('UPDATE churn SET n = n + 1');
  await until(
    () => counters('churn'),
    (c) => c.n_dead_tup >= 40_000,
  );
}

beforeAll(async () => {
  env = await createTestEnv('db_vacuum');
  db = await openDatabase({ url: env.databaseUrl, schema: SCHEMA, migrations: [ChurnInit1764230500000] });
  sql = sqlOf(db);
});

afterAll(async () => {
  await closeDatabase(db);
  await env?.cleanup();
});

beforeEach(makeDeadRows);

describe('startVacuumKeeper', () => {
  it('vacuums (and analyses) a table whose dead tuples pass the threshold, on its timer', async () => {
    const before = await counters('churn');
    const keeper = startVacuumKeeper(db, { tables: ['churn', 'quiet'], mode: 'on', intervalMs: 100 });
    try {
      const after = await until(
        () => counters('churn'),
        (c) => c.manual_vacuums > before.manual_vacuums && c.n_dead_tup < 1_000,
      );
      expect(after.manual_vacuums).toBeGreaterThan(before.manual_vacuums);
      expect(after.n_dead_tup).toBeLessThan(1_000);
      expect(after.analyze_count).toBeGreaterThan(before.analyze_count);
      expect((await counters('quiet')).manual_vacuums).toBe(0); // nothing to do there
    } finally {
      await keeper.stop();
    }
  });

  it('runOnce says what it vacuumed; below the threshold it does nothing', async () => {
    const keeper = startVacuumKeeper(db, { tables: ['churn'], mode: 'on', intervalMs: 3_600_000 });
    try {
      const passes = await keeper.runOnce();
      expect(passes).toEqual([expect.objectContaining({ table: 'churn', analysed: true })]);
      expect(passes[0]!.deadBefore).toBeGreaterThanOrEqual(40_000);
      await until(
        () => counters('churn'),
        (c) => c.n_dead_tup < 1_000,
      );
      expect(await keeper.runOnce()).toEqual([]);
    } finally {
      await keeper.stop();
    }
  });

  it("mode 'off' never vacuums", async () => {
    const before = await counters('churn');
    const keeper = startVacuumKeeper(db, { tables: ['churn'], mode: 'off', intervalMs: 100 });
    try {
      expect(await keeper.active()).toBe(false);
      expect(await keeper.runOnce()).toEqual([]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await counters('churn')).manual_vacuums).toBe(before.manual_vacuums);
    } finally {
      await keeper.stop();
    }
  });

  it("mode 'auto' vacuums exactly when the server's autovacuum is off", async () => {
    const [{ on }] = (await sql.query<{ on: boolean }>(`SELECT current_setting('autovacuum')::boolean AS on`)) as [
      { on: boolean },
    ];
    const keeper = startVacuumKeeper(db, { tables: ['churn'], intervalMs: 3_600_000 });
    try {
      expect(await keeper.active()).toBe(!on);
      expect((await keeper.runOnce()).length).toBe(on ? 0 : 1);
    } finally {
      await keeper.stop();
    }
  });

  it('leaves a table alone while another replica holds its turn', async () => {
    const other = new pg.Client({ connectionString: env.databaseUrl });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(hashtext($1))', [`wahooks:vacuum:${SCHEMA}.churn`]);
      const keeper = startVacuumKeeper(db, { tables: ['churn'], mode: 'on', intervalMs: 3_600_000 });
      try {
        expect(await keeper.runOnce()).toEqual([]);
        await other.query('SELECT pg_advisory_unlock_all()');
        expect(await keeper.runOnce()).toEqual([expect.objectContaining({ table: 'churn' })]);
      } finally {
        await keeper.stop();
      }
    } finally {
      await other.end();
    }
  });

  it('refuses a table name that is not a plain identifier', () => {
    expect(() => startVacuumKeeper(db, { tables: ['churn; DROP TABLE quiet'] })).toThrow(/invalid table/);
  });
});
