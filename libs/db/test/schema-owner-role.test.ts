/**
 * Deployments connect each service as its own role that owns only its schema (infra/postgres/init): no
 * superuser, no CREATE on the database. openDatabase must work for such a role, and the role must stay out of
 * other schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closeDatabase, openDatabase, withDatabase, type DataSource } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { libraryMigrations } from './fixtures/migrations.js';

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

describe('openDatabase as a role that owns only its schema', () => {
  let env: TestEnv;
  let roleUrl: string;
  let role: string;
  const open: DataSource[] = [];

  beforeAll(async () => {
    env = await createTestEnv('db_role');
    role = `${env.id}_owner`;
    const password = randomBytes(12).toString('hex');
    // A role is cluster-wide: the unique name keeps parallel test files apart.
    await sql(env.databaseUrl, `CREATE ROLE "${role}" LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB`);
    await sql(env.databaseUrl, `CREATE SCHEMA lib_owned AUTHORIZATION "${role}"`);
    const u = new URL(env.databaseUrl);
    u.username = role;
    u.password = password;
    roleUrl = u.toString();
  });
  afterAll(async () => {
    await Promise.all(open.map((ds) => closeDatabase(ds)));
    await env.cleanup(); // drops the database, and with it the schema the role owns
    await sql(withDatabase(env.databaseUrl, 'postgres'), `DROP ROLE IF EXISTS "${role}"`);
  });

  it('runs its migrations in the schema it owns', async () => {
    const ds = await openDatabase({ url: roleUrl, schema: 'lib_owned', migrations: libraryMigrations });
    open.push(ds);
    const rows: { n: number }[] = await ds.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'lib_owned'`,
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(3); // authors, books, migrations
    // A second start (the schema and its history exist) succeeds too.
    open.push(await openDatabase({ url: roleUrl, schema: 'lib_owned', migrations: libraryMigrations }));
  });

  it('cannot create another schema', async () => {
    await expect(openDatabase({ url: roleUrl, schema: 'lib_other' })).rejects.toMatchObject({ code: '42501' });
  });
});
