/** GET /api/tokens reads asked for in one turn share one Postgres query, and each caller gets its own list. */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { openDatabase, sqlOf, type DataSource, type Sql } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { TokensRepo } from '../src/adapters/tokens-repo.js';
import { UsersRepo } from '../src/adapters/users-repo.js';
import { tokenMigrations } from '../src/migrations/index.js';

let env: TestEnv;
let db: DataSource;
let sql: Sql; // what the repos run their statements on: the test counts the calls on it
let tokens: TokensRepo;
const alice = randomUUID();
const bob = randomUUID();
const carol = randomUUID(); // no tokens

beforeAll(async () => {
  env = await createTestEnv('token_list_batch');
  db = await openDatabase({
    url: env.databaseUrl,
    schema: 'token',
    migrations: tokenMigrations,
  });
  sql = sqlOf(db);
  tokens = new TokensRepo(sql);
  const users = new UsersRepo(sql);
  for (const id of [alice, bob, carol]) await users.ensureExists(id);
  let n = 0;
  const add = (userId: string, name: string) =>
    tokens.insert({ userId, name, tokenHash: `${String(++n).padStart(2, '0')}${'a'.repeat(62)}`, tokenPrefix: 'wh_x' });
  await add(alice, 'a1');
  await add(bob, 'b1');
  await add(alice, 'a2');
  const revoked = await add(bob, 'b2');
  await tokens.deactivate(revoked.id);
});

afterAll(async () => {
  await db?.destroy();
  await env?.cleanup();
});

describe('TokensRepo.listActive batching', () => {
  it('one query for a turn of reads; each caller gets its own active tokens, newest first', async () => {
    const statements = [jest.spyOn(sql, 'query'), jest.spyOn(sql, 'prepared')];
    try {
      const [a, b, c, a2] = await Promise.all([
        tokens.listActive(alice),
        tokens.listActive(bob),
        tokens.listActive(carol),
        tokens.listActive(alice.toUpperCase()), // same user, other spelling: shares the read
      ]);
      expect(statements.map((s) => s.mock.calls.length)).toEqual([0, 1]); // one prepared statement, nothing else
      expect(a.map((t) => t.name)).toEqual(['a2', 'a1']);
      expect(a2.map((t) => t.name)).toEqual(['a2', 'a1']);
      expect(b.map((t) => t.name)).toEqual(['b1']); // b2 is revoked
      expect(c).toEqual([]);
    } finally {
      for (const s of statements) s.mockRestore();
    }
  });

  it('reads in different turns are separate queries and see writes made in between', async () => {
    const before = await tokens.listActive(carol);
    await tokens.insert({ userId: carol, name: 'c1', tokenHash: 'c'.repeat(64), tokenPrefix: 'wh_c' });
    const after = await tokens.listActive(carol);
    expect(before).toEqual([]);
    expect(after.map((t) => t.name)).toEqual(['c1']);
  });

  it('a failed batch fails every caller in it, and the next turn works again', async () => {
    const spy = jest.spyOn(sql, 'prepared').mockRejectedValueOnce(new Error('connection reset'));
    try {
      const results = await Promise.allSettled([tokens.listActive(alice), tokens.listActive(bob)]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect((await tokens.listActive(bob)).map((t) => t.name)).toEqual(['b1']);
    } finally {
      spy.mockRestore();
    }
  });
});
