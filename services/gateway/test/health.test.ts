/**
 * GET /api/health's `database` check comes from the services: the gateway opens no Postgres pool, the real
 * token service (a child process) reports its own database in its ping reply.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import pg from 'pg';
import type { Gateway } from '../src/service.js';
import { call, startTestGateway, startTokenService, waitFor, type TokenServiceProcess } from './support.js';

let env: TestEnv;
let tokenService: TokenServiceProcess;
let gw: Gateway;
let admin: pg.Client; // on the maintenance database, so that closing the test database does not end it
let dbName: string;
let token: string; // the error texts are details: only for a caller with a token

/** Refuse new connections to the test database (superusers included) and end the token service's open ones. */
async function cutTokenDatabase(): Promise<void> {
  await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
  await admin.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'wahooks-token'`,
    [dbName],
  );
}
const restoreTokenDatabase = () => admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);

beforeAll(async () => {
  env = await createTestEnv('gateway_health');
  const url = new URL(env.databaseUrl);
  dbName = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  tokenService = await startTokenService(env);
  ({ token } = await tokenService.mint(randomUUID()));
  gw = await startTestGateway(env, { HEALTH_TIMEOUT_MS: '2000' });
  await call(gw.url, 'GET', '/api/me', { token }); // verified now: cached for the test that cuts the database
}, 60_000);

afterAll(async () => {
  await restoreTokenDatabase().catch(() => undefined);
  await gw?.stop(100);
  await tokenService?.stop();
  await admin?.end();
  await env?.cleanup();
});

describe('health: the database as the services see it', () => {
  it('ok while the token service reaches its database', async () => {
    const r = await call(gw.url, 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body.checks.database).toEqual({ status: 'ok', latency: expect.any(Number) });
    expect(r.body.checks.services.token).toMatchObject({ status: 'ok' });
  });

  it('503 naming the token service and its error while it cannot reach its database; 200 again after', async () => {
    await cutTokenDatabase();
    try {
      const r = await call(gw.url, 'GET', '/api/health', { token });
      expect(r.status).toBe(503);
      expect(r.body.status).toBe('degraded');
      expect(r.body.checks.database).toEqual({
        status: 'error',
        latency: expect.any(Number),
        error: expect.stringMatching(/^token: .*not currently accepting connections/),
      });
      // The service itself answered its ping: only its database is down.
      expect(r.body.checks.services.token).toMatchObject({ status: 'ok' });
      expect(r.body.checks.broker.status).toBe('ok');
      expect(r.body.checks.redis.status).toBe('ok');
    } finally {
      await restoreTokenDatabase();
    }
    await waitFor(async () => (await call(gw.url, 'GET', '/api/health')).status === 200, 10_000, 100);
    expect((await call(gw.url, 'GET', '/api/health')).body.checks.database.status).toBe('ok');
  });
});
