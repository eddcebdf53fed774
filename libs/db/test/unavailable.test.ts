/**
 * Outages told apart from bugs, waited out by retryWhileUnavailable, and bounded: a statement past its deadline
 * and a pool connection that cannot be had both fail (as outages) instead of waiting for ever.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closeDatabase, isDatabaseUnavailable, openDatabase, retryWhileUnavailable, sqlOf } from '@wahooks/db';
import type { DataSource } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    withCode('ECONNREFUSED'),
    withCode('08006'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('53300'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Query read timeout'),
    new Error('Client was closed and is not queryable'),
    Object.assign(new Error('QueryFailedError'), { driverError: withCode('08001') }),
  ])('outage: %p', (err) => expect(isDatabaseUnavailable(err)).toBe(true));

  it.each([
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('22P02', 'invalid input syntax for type uuid'),
    new TypeError('undefined is not a function'),
    null,
    'a string',
  ])('not an outage: %p', (err) => expect(isDatabaseUnavailable(err)).toBe(false));
});

describe('retryWhileUnavailable', () => {
  it('retries outages until the work succeeds', async () => {
    let calls = 0;
    const value = await retryWhileUnavailable(
      async () => {
        if (++calls < 6) throw withCode('57P01');
        return 'done';
      },
      { baseDelayMs: 1, maxDelayMs: 2 },
    );
    expect({ value, calls }).toEqual({ value: 'done', calls: 6 });
  });

  it('throws other errors at once, and outages once cancelled', async () => {
    let calls = 0;
    await expect(
      retryWhileUnavailable(async () => {
        calls++;
        throw withCode('23505');
      }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
    let failures = 0;
    await expect(
      retryWhileUnavailable(
        async () => {
          throw withCode('ECONNREFUSED');
        },
        { baseDelayMs: 1, cancelled: () => failures >= 3, onRetry: () => void failures++ },
      ),
    ).rejects.toThrow();
    expect(failures).toBe(3);
  });
});

describe('deadlines', () => {
  let env: TestEnv;
  let db: DataSource;
  let hole: net.Server; // accepts connections and never answers: a partitioned server
  const held: net.Socket[] = [];

  beforeAll(async () => {
    env = await createTestEnv('db_deadlines');
    db = await openDatabase({ url: env.databaseUrl, schema: 'deadlines_t', poolSize: 1, connectTimeoutMs: 500 });
    hole = net.createServer((s) => void held.push(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    held.forEach((s) => s.destroy());
    hole?.close();
    await closeDatabase(db);
    await env?.cleanup();
  });

  it('a statement past its deadline fails as an outage, and its connection is not reused', async () => {
    const sql = sqlOf(db, { queryTimeoutMs: 300 });
    const [{ pid }] = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const started = Date.now();
    const err = await sql.query('SELECT pg_sleep(3)').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isDatabaseUnavailable(err)).toBe(true);
    const [after] = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(after!.pid).not.toBe(pid);
  });

  it('waiting for a pool connection is bounded by connectTimeoutMs', async () => {
    const sql = sqlOf(db);
    // The pool's one connection is busy in a transaction: the next caller waits at most 500 ms.
    let release!: () => void;
    const busy = sql.transaction(() => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const err = await sql.query('SELECT 1').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isDatabaseUnavailable(err)).toBe(true);
    release();
    await busy;
  });

  it('a server that accepts but never answers: openDatabase fails in bounded time', async () => {
    const url = new URL(env.databaseUrl);
    url.port = String((hole.address() as net.AddressInfo).port);
    const started = Date.now();
    await expect(openDatabase({ url: url.toString(), schema: 'never', connectTimeoutMs: 500 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
