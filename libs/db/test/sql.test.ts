/** sqlOf: hand-written SQL on the DataSource's own pg pool, against the real Postgres. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { checkDatabase, closeDatabase, openDatabase, sqlOf, type DataSource, type Sql } from '@wahooks/db';
import type { MigrationInterface, QueryRunner } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import pg from 'pg';

class ItemsInit1764230400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE items');
  }
}

/** Log lines the DataSource's logger received (openDatabase's pino-style `logger`). */
interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}
const lines: Line[] = [];
const logger = Object.fromEntries(
  ['trace', 'debug', 'info', 'warn'].map((level) => [
    level,
    (obj: Record<string, unknown>, msg?: string) => void lines.push({ level, obj, msg }),
  ]),
) as unknown as Parameters<typeof openDatabase>[0]['logger'];

let env: TestEnv;
let db: DataSource; // pool of 2
let sql: Sql;
let single: DataSource; // pool of 1: every statement runs on the same connection
let one: Sql;
let admin: pg.Client; // outside the pools, to look at and to break their connections

const pid = async (s: Sql) => (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
const names = async (s: Sql) =>
  (await s.query<{ name: string }>('SELECT name FROM items ORDER BY id')).map((r) => r.name);

beforeAll(async () => {
  env = await createTestEnv('db_sql');
  const options = { url: env.databaseUrl, schema: 'sql_t', migrations: [ItemsInit1764230400000] };
  db = await openDatabase({ ...options, poolSize: 2, logger, slowQueryMs: 50 });
  single = await openDatabase({ ...options, poolSize: 1 });
  sql = sqlOf(db);
  one = sqlOf(single);
  admin = new pg.Client({ connectionString: env.databaseUrl });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await closeDatabase(db);
  await closeDatabase(single);
  await env?.cleanup();
});

beforeEach(async () => {
  await sql.query('DELETE FROM items');
  await sql.query(`INSERT INTO items VALUES (1, 'one'), (2, 'two')`);
});

describe('query', () => {
  it('gives plain rows for SELECT, and for INSERT/UPDATE/DELETE … RETURNING (not [rows, count])', async () => {
    expect(await sql.query('SELECT id, name FROM items WHERE id = $1', [2])).toEqual([{ id: 2, name: 'two' }]);
    expect(await sql.query(`INSERT INTO items VALUES ($1, $2) RETURNING id`, [3, 'three'])).toEqual([{ id: 3 }]);
    expect(await sql.query(`UPDATE items SET name = upper(name) WHERE id <= 2 RETURNING id, name`)).toEqual(
      expect.arrayContaining([
        { id: 1, name: 'ONE' },
        { id: 2, name: 'TWO' },
      ]),
    );
    expect(await sql.query('DELETE FROM items WHERE id = $1 RETURNING name', [3])).toEqual([{ name: 'three' }]);
    // Without RETURNING: no rows, whatever the count (TypeORM's dataSource.query answers [[], 2] here).
    expect(await sql.query(`UPDATE items SET name = lower(name)`)).toEqual([]);
    expect(await db.query(`UPDATE items SET name = lower(name)`)).toEqual([[], 2]);
    expect(await names(sql)).toEqual(['one', 'two']);
  });

  it("resolves unqualified names in the service's schema and passes pg's own error through", async () => {
    expect(await sql.query<{ s: string }>('SELECT current_schema() AS s')).toEqual([{ s: 'sql_t' }]);
    const err = await sql.query(`INSERT INTO items VALUES (1, 'again')`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '23505', constraint: 'items_pkey' });
  });
});

describe('prepared', () => {
  it('runs a named statement, kept on the connection and reused with other parameters', async () => {
    const text = 'SELECT name FROM items WHERE id = $1';
    expect(await one.prepared('items_by_id', text, [1])).toEqual([{ name: 'one' }]);
    expect(await one.prepared('items_by_id', text, [2])).toEqual([{ name: 'two' }]);
    // The pool has one connection: the statement is prepared there, under its name, once.
    const prepared = await one.query<{ name: string; statement: string }>(
      `SELECT name, statement FROM pg_prepared_statements WHERE name = 'items_by_id'`,
    );
    expect(prepared).toEqual([{ name: 'items_by_id', statement: text }]);
    expect(await one.prepared('items_rename', 'UPDATE items SET name = $2 WHERE id = $1', [1, 'uno'])).toEqual([]);
    expect(await names(one)).toEqual(['uno', 'two']);
  });
});

describe('transaction', () => {
  it('commits when the work resolves; until then other connections do not see its writes', async () => {
    const out = await sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO items VALUES (3, 'three')`);
      expect(await names(tx)).toEqual(['one', 'two', 'three']);
      expect(await names(sql)).toEqual(['one', 'two']); // the pool's other connection
      return 'done';
    });
    expect(out).toBe('done');
    expect(await names(sql)).toEqual(['one', 'two', 'three']);
  });

  it('rolls back and rethrows when the work throws; the connection serves the next caller', async () => {
    const before = await pid(one);
    await expect(
      one.transaction(async (tx) => {
        await tx.query(`UPDATE items SET name = 'lost'`);
        await tx.prepared('items_insert', 'INSERT INTO items VALUES ($1, $2)', [9, 'nine']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await names(one)).toEqual(['one', 'two']);
    expect(await pid(one)).toBe(before); // rolled back cleanly: the same connection is reused
    // A statement that fails inside the transaction rolls it back too.
    await expect(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (3, 'three')`);
        await tx.query(`INSERT INTO items VALUES (1, 'duplicate')`);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await names(sql)).toEqual(['one', 'two']);
  });

  it('uses the isolation level it is given', async () => {
    const level = async (isolation?: 'SERIALIZABLE' | 'REPEATABLE READ') =>
      sql.transaction(
        async (tx) =>
          (await tx.query<{ l: string }>('SELECT current_setting($1) AS l', ['transaction_isolation']))[0]!.l,
        isolation,
      );
    expect(await level()).toBe('read committed');
    expect(await level('REPEATABLE READ')).toBe('repeatable read');
    expect(await level('SERIALIZABLE')).toBe('serializable');
  });

  it('reuses the outer transaction for a nested one: same connection, same transaction, one outcome', async () => {
    const txid = 'SELECT txid_current()::text AS x, pg_backend_pid() AS pid';
    await sql.transaction(async (outer) => {
      const [a] = await outer.query(txid);
      const [b] = await outer.transaction(async (inner) => {
        await inner.query(`INSERT INTO items VALUES (3, 'three')`);
        return inner.query(txid);
      }, 'SERIALIZABLE');
      expect(b).toEqual(a);
    });
    expect(await names(sql)).toEqual(['one', 'two', 'three']);

    // The inner work's failure, rethrown by the outer work, undoes the outer work's writes too.
    await expect(
      sql.transaction(async (outer) => {
        await outer.query(`DELETE FROM items WHERE id = 3`);
        await outer.transaction(async (inner) => {
          await inner.query(`UPDATE items SET name = 'lost'`);
          throw new Error('inner failed');
        });
      }),
    ).rejects.toThrow('inner failed');
    expect(await names(sql)).toEqual(['one', 'two', 'three']);
  });

  it('does not return a connection that died in a transaction to the pool', async () => {
    const before = await pid(one);
    await expect(
      one.transaction(async (tx) => {
        await tx.query(`INSERT INTO items VALUES (3, 'three')`);
        // The server ends this connection (a failover, a restart, an operator) in the middle of the work.
        await admin.query('SELECT pg_terminate_backend($1)', [await pid(tx)]);
        await tx.query('SELECT 1');
      }),
    ).rejects.toThrow(/terminating connection|connection error/); // depending on when the news arrives
    // The only pool slot was freed and refilled: the next statements work, on a new connection.
    const after = await pid(one);
    expect(after).not.toBe(before);
    expect(await names(one)).toEqual(['one', 'two']);
    const alive = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [before]);
    expect(alive.rows).toHaveLength(0);
  });
});

describe('logging', () => {
  it("reports hand-written statements to the DataSource's logger: slow ones as warnings, failures at debug", async () => {
    lines.length = 0;
    await sql.query('SELECT pg_sleep(0.1)');
    await sql.prepared('items_missing', 'SELECT * FROM no_such_table').catch(() => undefined);
    expect(lines).toContainEqual({
      level: 'warn',
      obj: { schema: 'sql_t', sql: 'SELECT pg_sleep(0.1)', ms: expect.any(Number) },
      msg: 'slow db query',
    });
    expect(lines).toContainEqual({
      level: 'debug',
      obj: { schema: 'sql_t', sql: 'SELECT * FROM no_such_table', err: expect.stringMatching(/does not exist/) },
      msg: 'db query failed',
    });
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1); // the failed lookup was quick
  });
});

describe('checkDatabase', () => {
  it('is ok while the pool answers, and an error (without throwing) when no connection is free', async () => {
    expect(await checkDatabase(single)).toEqual({ status: 'ok', latency: expect.any(Number) });
    let release!: () => void;
    const held = one.transaction(() => new Promise<void>((r) => (release = r))); // takes the only connection
    try {
      expect(await checkDatabase(single, 200)).toEqual({
        status: 'error',
        latency: expect.any(Number),
        error: 'no answer within 200 ms',
      });
    } finally {
      release();
      await held;
    }
    expect((await checkDatabase(single)).status).toBe('ok');
  });
});
