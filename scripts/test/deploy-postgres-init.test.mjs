// infra/postgres/init/10-wahooks.sh against the local Postgres (a throwaway database and role prefix), then each
// service's real migrations run as its own role; and infra/docker/env-from-secrets.mjs, the image's preload.
// `node --test scripts/test/deploy-postgres-init.test.mjs` (needs `npm run build`, psql and a Postgres superuser
// at DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { repoRoot } from './support/compose-files.mjs';

const initScript = path.join(repoRoot, 'infra', 'postgres', 'init', '10-wahooks.sh');
const preload = path.join(repoRoot, 'infra', 'docker', 'env-from-secrets.mjs');
const adminUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
adminUrl.pathname = '/postgres';

const id = randomBytes(4).toString('hex');
const dbName = `wahooks_deploy_${id}`;
const prefix = `t${id}_`;
const schemas = {
  token: 'tokenMigrations',
  connection: 'connectionMigrations',
  messaging: 'messagingMigrations',
  webhook_delivery: 'webhookDeliveryMigrations',
  billing: 'billingMigrations',
};
const passwords = Object.fromEntries(Object.keys(schemas).map((s) => [s, randomBytes(12).toString('hex')]));
let tmp;

/** Runs `text` (or each statement of an array, in one session) and returns the last result's rows. */
async function query(url, text, values) {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    let rows;
    for (const statement of [text].flat()) rows = (await client.query(statement, values)).rows;
    return rows;
  } finally {
    await client.end();
  }
}
const dbUrl = (user, password) => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  if (user) {
    u.username = user;
    u.password = password;
  }
  return u;
};

function runInit(extraEnv) {
  return spawnSync('sh', [initScript], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      PGHOST: adminUrl.hostname,
      PGPORT: adminUrl.port || '5432',
      PGPASSWORD: decodeURIComponent(adminUrl.password),
      POSTGRES_USER: decodeURIComponent(adminUrl.username),
      POSTGRES_DB: dbName,
      WAHOOKS_ROLE_PREFIX: prefix,
      ...extraEnv,
    },
  });
}
const passwordEnv = () => ({
  TOKEN_DB_PASSWORD: passwords.token,
  CONNECTION_DB_PASSWORD: passwords.connection,
  MESSAGING_DB_PASSWORD: passwords.messaging,
  WEBHOOK_DELIVERY_DB_PASSWORD_FILE: path.join(tmp, 'webhook_delivery'), // a Docker secret
  BILLING_DB_PASSWORD: passwords.billing,
});

const hasPsql = spawnSync('psql', ['--version']).status === 0;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wahooks-deploy-'));
  writeFileSync(path.join(tmp, 'webhook_delivery'), `${passwords.webhook_delivery}\n`);
  if (!hasPsql) return;
  await query(adminUrl, `CREATE DATABASE "${dbName}"`);
  // What an older version left: a schema and a table the services made while connected as the superuser.
  await query(dbUrl(), ['CREATE SCHEMA token', 'CREATE TABLE token.legacy (id serial PRIMARY KEY, note text)']);
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (!hasPsql) return;
  await query(adminUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  for (const name of [...Object.keys(schemas), 'readonly'])
    await query(adminUrl, `DROP ROLE IF EXISTS "${prefix}${name}"`);
});

test('the init script refuses to run without a password, naming it', { skip: !hasPsql && 'no psql' }, () => {
  const { TOKEN_DB_PASSWORD: _none, ...rest } = passwordEnv();
  const run = runInit(rest);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /TOKEN_DB_PASSWORD \(or TOKEN_DB_PASSWORD_FILE\) is required/);
  const both = runInit({ ...passwordEnv(), TOKEN_DB_PASSWORD_FILE: path.join(tmp, 'webhook_delivery') });
  assert.notEqual(both.status, 0);
  assert.match(both.stderr, /both TOKEN_DB_PASSWORD and TOKEN_DB_PASSWORD_FILE are set/);
});

test('one role per service owns its schema, and only that', { skip: !hasPsql && 'no psql' }, async () => {
  for (let round = 1; round <= 2; round++) {
    const run = runInit(passwordEnv()); // twice: it is idempotent (rotating a password = running it again)
    assert.equal(run.status, 0, `round ${round}: ${run.stderr}`);
  }
  const owners = await query(
    dbUrl(),
    `SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1`,
    [Object.keys(schemas)],
  );
  assert.deepEqual(
    owners,
    Object.keys(schemas)
      .sort()
      .map((s) => ({ nspname: s, owner: `${prefix}${s}` })),
  );
  const legacy = await query(dbUrl(), `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = $1`, [
    'legacy',
  ]);
  assert.deepEqual(legacy, [{ owner: `${prefix}token` }], 'an older table changes hands');
  const roles = await query(
    adminUrl,
    `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname LIKE $1 ORDER BY 1`,
    [`${prefix}%`],
  );
  assert.equal(roles.length, 6);
  for (const r of roles) assert.deepEqual([r.rolsuper, r.rolcreatedb, r.rolcreaterole], [false, false, false]);
});

test(
  'each service migrates its schema as its own role; no role reaches another schema',
  { skip: !hasPsql && 'no psql' },
  async () => {
    const { openDatabase } = await import(pathToFileURL(path.join(repoRoot, 'libs', 'db', 'dist', 'index.js')).href);
    for (const [schema, exportName] of Object.entries(schemas)) {
      const folder = schema.replace('_', '-');
      const migrationsJs = path.join(repoRoot, 'services', folder, 'dist', 'migrations', 'index.js');
      const migrations = (await import(pathToFileURL(migrationsJs).href))[exportName];
      assert.ok(migrations?.length > 0, `${migrationsJs} exports ${exportName}`);
      const url = dbUrl(`${prefix}${schema}`, passwords[schema]).toString();
      const ds = await openDatabase({ url, schema, migrations });
      try {
        const [{ n }] = await ds.query(
          `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
          [schema],
        );
        assert.ok(n > 1, `${schema}: tables created`);
      } finally {
        await ds.destroy();
      }
    }
    const asBilling = dbUrl(`${prefix}billing`, passwords.billing);
    await assert.rejects(query(asBilling, 'SELECT * FROM token.legacy'), /permission denied for schema token/);
    await assert.rejects(query(asBilling, 'CREATE SCHEMA sneaky'), /permission denied for database/);
    await assert.rejects(query(asBilling, 'CREATE TABLE public.sneaky (x int)'), /permission denied for schema public/);
    // The read-only role sees every service's tables, including those created after the script ran.
    const rows = await query(dbUrl(), [`SET ROLE "${prefix}readonly"`, 'SELECT count(*)::int AS n FROM token.users']);
    assert.deepEqual(rows, [{ n: 0 }]);
    await assert.rejects(
      query(dbUrl(), [`SET ROLE "${prefix}readonly"`, 'DELETE FROM token.users']),
      /permission denied for table users/,
    );
  },
);

/** Runs the preload with `env`; returns the variables it leaves, or its exit code and stderr. */
function preloaded(env) {
  const run = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(preload).href, '-e', 'console.log(JSON.stringify(process.env))'],
    { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } },
  );
  return run.status === 0 ? { env: JSON.parse(run.stdout) } : { status: run.status, stderr: run.stderr };
}

test('the preload puts passwords into the URLs, percent-encoded, and reads *_FILE secrets', () => {
  const tricky = 'p@ss:w/rd%?#';
  const { env } = preloaded({
    DATABASE_URL: 'postgres://wahooks_token@postgres:5432/wahooks',
    DATABASE_PASSWORD: tricky,
    REDIS_URL: 'redis://redis:6379',
    REDIS_PASSWORD_FILE: path.join(tmp, 'webhook_delivery'),
    RABBITMQ_URL: 'amqp://wahooks@rabbitmq:5672',
    RABBITMQ_PASSWORD: 'plain',
    STRIPE_SECRET_KEY_FILE: path.join(tmp, 'webhook_delivery'),
    SSL_CERT_FILE: '/nonexistent', // not a secret of ours: left alone
  });
  assert.equal(decodeURIComponent(new URL(env.DATABASE_URL).password), tricky);
  assert.equal(new URL(env.DATABASE_URL).username, 'wahooks_token');
  assert.equal(new URL(env.REDIS_URL).password, passwords.webhook_delivery, 'trailing newline dropped');
  assert.equal(env.RABBITMQ_URL, 'amqp://wahooks:plain@rabbitmq:5672');
  assert.equal(env.STRIPE_SECRET_KEY, passwords.webhook_delivery);
  assert.equal(env.DATABASE_PASSWORD, undefined, 'no second copy of the password');
  assert.equal(env.SSL_CERT_FILE, '/nonexistent');
  // Unchanged without a password.
  assert.equal(preloaded({ REDIS_URL: 'redis://127.0.0.1:6379' }).env.REDIS_URL, 'redis://127.0.0.1:6379');
});

test('the preload stops the process on a mistake, naming the variable', () => {
  const cases = [
    [{ DATABASE_PASSWORD_FILE: '/nonexistent/secret' }, /DATABASE_PASSWORD_FILE: cannot read \/nonexistent\/secret/],
    [{ DATABASE_PASSWORD: 'x' }, /DATABASE_PASSWORD is set but DATABASE_URL is not/],
    [{ REDIS_URL: 'redis://:old@redis:6379', REDIS_PASSWORD: 'new' }, /REDIS_URL already has a password/],
    [{ STRIPE_SECRET_KEY: 'a', STRIPE_SECRET_KEY_FILE: path.join(tmp, 'webhook_delivery') }, /both STRIPE_SECRET_KEY/],
  ];
  for (const [env, message] of cases) {
    const result = preloaded(env);
    assert.equal(result.status, 1, JSON.stringify(env));
    assert.match(result.stderr, message);
  }
});
