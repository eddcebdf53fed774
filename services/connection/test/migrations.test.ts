/**
 * The connection schema's migrations: a database laid out by the service before it kept a migration history
 * (tables, no `connection.migrations`) migrates in place; a started database is left alone; a missing one is
 * created.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { databaseName, withDatabase } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import pg from 'pg';
import { connectionMigrations } from '../src/migrations/index.js';
import { openConnectionDatabase } from './support/database.js';

let env: TestEnv;
let admin: pg.Client; // looks at the database from outside the service's pool

/** Every migration's name, in order: a new database runs them all. */
const ALL_MIGRATIONS = connectionMigrations.map((m) => new m().name);

const historyOf = async (client: pg.Client) =>
  (await client.query<{ name: string }>('SELECT name FROM connection.migrations ORDER BY id')).rows.map((r) => r.name);

beforeAll(async () => {
  env = await createTestEnv('conn_migrations');
  admin = new pg.Client({ connectionString: env.databaseUrl });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await env?.cleanup();
});

describe('connection migrations', () => {
  it('migrate a database from before the history in place, then run nothing more on later starts', async () => {
    // The oldest layout the service created: no history table, an outbox without `event_type`.
    await admin.query(`CREATE SCHEMA connection`);
    await admin.query(`CREATE TABLE connection.outbox (
       seq bigserial PRIMARY KEY, connection_id uuid NOT NULL, event_id text NOT NULL UNIQUE, dedupe_key text,
       body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)`);
    await admin.query(`CREATE TABLE connection.session_fences (connection_id uuid PRIMARY KEY, token bigint NOT NULL)`);
    await admin.query(`INSERT INTO connection.outbox (connection_id, event_id, body)
       VALUES ('6f1d7c2e-9a43-4b8e-8f0a-3c2d1e0b9a87', 'evt_old', '{"old":true}')`);
    await admin.query(`INSERT INTO connection.session_fences VALUES ('6f1d7c2e-9a43-4b8e-8f0a-3c2d1e0b9a87', 7)`);

    const first = await openConnectionDatabase(env.databaseUrl);
    try {
      expect(await historyOf(admin)).toEqual(ALL_MIGRATIONS);
      // Existing rows are kept; the column added later has its default on them.
      expect(await first.sql.query('SELECT event_id, body, event_type FROM connection.outbox')).toEqual([
        { event_id: 'evt_old', body: '{"old":true}', event_type: 'connection.whatsapp.event' },
      ]);
      expect(await first.sql.query('SELECT token FROM connection.session_fences')).toEqual([{ token: '7' }]);
      // The tables the old layout lacked exist now.
      const tables = await admin.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'connection' ORDER BY 1`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'auth_creds',
        'auth_keys',
        'chats',
        'connections',
        'label_chats',
        'labels',
        'messages',
        'migrations',
        'outbox',
        'session_fences',
      ]);
    } finally {
      await first.close();
    }

    const again = await openConnectionDatabase(env.databaseUrl);
    await again.close();
    expect(await historyOf(admin)).toEqual(ALL_MIGRATIONS);
  });

  it('creates the database when it is missing', async () => {
    const name = `${databaseName(env.databaseUrl)}_missing`;
    const url = withDatabase(env.databaseUrl, name);
    try {
      const created = await openConnectionDatabase(url);
      try {
        expect(await created.sql.query('SELECT name FROM connection.migrations ORDER BY id')).toEqual(
          ALL_MIGRATIONS.map((name) => ({ name })),
        );
      } finally {
        await created.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});
