import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closeDatabase, databaseName, openDatabase, withDatabase, withTransaction, type DataSource } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import pg from 'pg';
import { Author } from './fixtures/author.entity.js';
import { Book } from './fixtures/book.entity.js';
import { libraryMigrations, upCalls } from './fixtures/migrations.js';

const entities = [Author, Book];

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

describe('openDatabase', () => {
  let env: TestEnv;
  const open: DataSource[] = [];
  const track = (ds: DataSource) => (open.push(ds), ds);

  beforeAll(async () => {
    env = await createTestEnv('db');
  });
  afterAll(async () => {
    await Promise.all(open.map((ds) => closeDatabase(ds)));
    await env.cleanup();
  });

  it('creates a missing database, once, even when two processes race for it', async () => {
    const name = `${databaseName(env.databaseUrl)}_new`;
    const url = withDatabase(env.databaseUrl, name);
    const admin = withDatabase(env.databaseUrl, 'postgres');
    expect(await sql(admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toHaveLength(0);
    try {
      const [a, b] = await Promise.all([
        openDatabase({ url, schema: 'fresh', entities: [] }),
        openDatabase({ url, schema: 'fresh', entities: [] }),
      ]);
      expect(await sql(admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toHaveLength(1);
      const rows = await sql<{ n: string }>(url, `SELECT count(*) AS n FROM fresh.migrations`);
      expect(rows[0].n).toBe('0');
      await Promise.all([closeDatabase(a), closeDatabase(b)]);
    } finally {
      await sql(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('runs each migration exactly once when two replicas start together, under the schema', async () => {
    upCalls.length = 0;
    const opts = { url: env.databaseUrl, schema: 'lib_a', entities, migrations: libraryMigrations, poolSize: 2 };
    const [a, b] = await Promise.all([openDatabase(opts), openDatabase(opts)]);
    track(a);
    track(b);
    expect(upCalls).toEqual(['init', 'isbn']);
    const history = await sql<{ name: string }>(env.databaseUrl, 'SELECT name FROM lib_a.migrations ORDER BY id');
    expect(history.map((h) => h.name)).toEqual(['LibraryInit1764230400000', 'LibraryIsbn1764316800000']);
    // A later start finds nothing to do.
    track(await openDatabase(opts));
    expect(upCalls).toHaveLength(2);
  });

  it('keeps schemas apart: same tables in two schemas, data only where it was written', async () => {
    const a = track(
      await openDatabase({ url: env.databaseUrl, schema: 'iso_a', entities, migrations: libraryMigrations }),
    );
    const b = track(
      await openDatabase({ url: env.databaseUrl, schema: 'iso_b', entities, migrations: libraryMigrations }),
    );
    await a.getRepository(Author).save({ name: 'only in a' });
    expect(await a.getRepository(Author).count()).toBe(1);
    expect(await b.getRepository(Author).count()).toBe(0);
    // Raw SQL resolves unqualified names to the service's own schema too.
    expect(await a.query('SELECT name FROM authors')).toEqual([{ name: 'only in a' }]);
    expect(await b.query('SELECT name FROM authors')).toEqual([]);
    const tables = await sql<{ table_schema: string }>(
      env.databaseUrl,
      `SELECT table_schema FROM information_schema.tables WHERE table_name = 'authors' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_schema)).toEqual(expect.arrayContaining(['iso_a', 'iso_b']));
    expect(tables.map((t) => t.table_schema)).not.toContain('public');
  });

  it('round-trips entities with relations, and withTransaction rolls back on error', async () => {
    const ds = track(
      await openDatabase({ url: env.databaseUrl, schema: 'lib_rt', entities, migrations: libraryMigrations }),
    );
    const author = await ds.getRepository(Author).save({ name: 'Ursula' });
    await ds.getRepository(Book).save([
      { title: 'The Dispossessed', meta: { year: 1974 }, author },
      { title: 'The Left Hand of Darkness', meta: { year: 1969 }, author },
    ]);
    const loaded = await ds
      .getRepository(Author)
      .findOneOrFail({ where: { id: author.id }, relations: { books: true } });
    expect(loaded.name).toBe('Ursula');
    expect(loaded.createdAt).toBeInstanceOf(Date);
    expect(loaded.books.map((b) => b.title).sort()).toEqual(['The Dispossessed', 'The Left Hand of Darkness']);
    expect(loaded.books.find((b) => b.title === 'The Dispossessed')?.meta).toEqual({ year: 1974 });

    await expect(
      withTransaction(ds, async (m) => {
        await m.getRepository(Author).save({ name: 'rolled back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await ds.getRepository(Author).countBy({ name: 'rolled back' })).toBe(0);
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openDatabase({ url: env.databaseUrl, schema: 'Bad-Name"; drop', entities })).rejects.toThrow(
      /invalid schema name/,
    );
  });
});
