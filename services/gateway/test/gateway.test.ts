/**
 * The gateway on the real RabbitMQ/Redis/Postgres with the real token service (a child process): envelope,
 * validation, limits, helmet, OpenAPI, wh_ auth with its cache and revocation, errors from services, health.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { on } from '@wahooks/broker';
import { ListTokens, RevokeToken, TokensUsed, type PayloadOf } from '@wahooks/contracts';
import { createTestTracing, type TestTracing } from '@wahooks/telemetry';
import { createTestEnv, startTcpProxy, type TcpProxy, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import {
  call,
  newToken,
  requestsSent,
  startTestGateway,
  startTokenService,
  waitFor,
  type TokenServiceProcess,
} from './support.js';

let env: TestEnv;
let tracing: TestTracing;
let gw: Gateway;
let tokenService: TokenServiceProcess;
let tokenDb: TcpProxy; // the token service reaches Postgres through it, so a test can cut it off
let db: pg.Pool;
/** gateway.token.used reports seen on the broker (cached uses, for lastUsedAt). */
const used: PayloadOf<typeof TokensUsed>[] = [];
const userId = randomUUID();
let token = '';

beforeAll(async () => {
  tracing = createTestTracing();
  env = await createTestEnv('gateway');
  db = new pg.Pool({ connectionString: env.databaseUrl, max: 1 });
  tokenDb = await startTcpProxy(env.databaseUrl);
  tokenService = await startTokenService(env, { DATABASE_URL: tokenDb.url(env.databaseUrl) });
  await tokenService.client.subscribe('used-observer', [on(TokensUsed, async (p) => void used.push(p))], {
    exclusive: true,
  });
  ({ token } = await tokenService.mint(userId, { email: `${userId}@example.test` }));
  gw = await startTestGateway(env, { BODY_LIMIT: '1kb', RATE_LIMIT_PER_MINUTE: '1000' });
}, 60_000);

afterAll(async () => {
  await gw?.stop(100);
  await tokenService?.stop();
  await tokenDb?.close();
  await db?.end();
  await env?.cleanup();
  await tracing?.shutdown();
});

describe('envelope and HTTP hygiene', () => {
  it('GET /api answers ok without auth, with helmet headers', async () => {
    const r = await call(gw.url, 'GET', '/api');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('strict-transport-security')).toBeTruthy();
    expect(r.headers.get('x-powered-by')).toBeNull();
  });

  it('CORS for any origin: preflight 204, headers on responses', async () => {
    const pre = await fetch(`${gw.url}/api/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    const r = await call(gw.url, 'GET', '/api', { headers: { origin: 'https://app.example' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });

  it('unknown route → 404 envelope', async () => {
    const r = await call(gw.url, 'GET', '/api/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nope' });
  });

  it('malformed JSON → 400, not 500', async () => {
    const r = await call(gw.url, 'POST', '/api/tokens', {
      token,
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Malformed JSON in request body' });
  });

  it('body over BODY_LIMIT → 413', async () => {
    const r = await call(gw.url, 'POST', '/api/tokens', { token, body: { name: 'x'.repeat(5000) } });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('wrong content type on a body route → 415', async () => {
    const r = await call(gw.url, 'POST', '/api/tokens', {
      token,
      raw: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
  });

  it('missing name → 400 "name is required", also with no body at all', async () => {
    const a = await call(gw.url, 'POST', '/api/tokens', { token, body: {} });
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'name is required' });
    const b = await call(gw.url, 'POST', '/api/tokens', { token });
    expect(b.status).toBe(400);
    expect(b.body.message).toBe('name is required');
  });

  it('urlencoded bodies are accepted too; POST answers 201', async () => {
    const r = await call(gw.url, 'POST', '/api/tokens', {
      token,
      raw: 'name=form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'form' });
  });

  it('serves the OpenAPI 3.1 document built from the routes, and the docs page', async () => {
    const r = await call(gw.url, 'GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining(['/api', '/api/health', '/api/me', '/api/tokens', '/api/tokens/{id}']),
    );
    expect(r.body.paths['/api/tokens'].post.requestBody.content['application/json'].schema.required).toEqual(['name']);
    expect(r.body.paths['/api/tokens'].post.responses['201']).toBeDefined();
    expect(r.body.paths['/api/tokens/{id}'].delete.parameters[0]).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
    });
    const docs = await fetch(`${gw.url}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });
});

describe('wh_ token auth', () => {
  it('missing header / wrong scheme → 401 Missing or invalid Authorization header', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: `Basic ${token}` },
      { authorization: token },
      { authorization: 'Bearer ' },
    ];
    for (const headers of variants) {
      const r = await call(gw.url, 'GET', '/api/tokens', { headers });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Missing or invalid Authorization header',
      });
    }
  });

  it('unknown token → 401 Invalid or revoked API token', async () => {
    const r = await call(gw.url, 'GET', '/api/tokens', { token: newToken() });
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('Invalid or revoked API token');
  });

  it('a valid token is verified once, then served from the cache', async () => {
    const { token: fresh } = await tokenService.mint(userId);
    const before = requestsSent(tracing, 'token.token.verify');
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => call(gw.url, 'GET', '/api/tokens', { token: fresh })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await call(gw.url, 'GET', '/api/tokens', { token: fresh });
    expect(requestsSent(tracing, 'token.token.verify') - before).toBe(1);
  });

  it('uses answered from the cache are reported as gateway.token.used (lastUsedAt), RPC-verified ones are not', async () => {
    // once: one use, a cache miss, which the token service marks itself; twice: a miss, then hits it never sees
    const { token: once, tokenId: onceId } = await tokenService.mint(userId);
    const { token: twice, tokenId: twiceId } = await tokenService.mint(userId);
    expect((await call(gw.url, 'GET', '/api/tokens', { token: once })).status).toBe(200);
    expect((await call(gw.url, 'GET', '/api/tokens', { token: twice })).status).toBe(200);
    const firstHit = Date.now();
    for (let i = 0; i < 3; i++) expect((await call(gw.url, 'GET', '/api/me', { token: twice })).status).toBe(200);

    await waitFor(() => used.some((u) => u.tokenIds.includes(twiceId)), 3000);
    const reports = used.filter((u) => u.tokenIds.includes(twiceId));
    expect(reports.length).toBeLessThanOrEqual(2); // batched: not one event per request
    expect(Date.parse(reports.at(-1)!.at)).toBeGreaterThanOrEqual(firstHit);
    expect(used.some((u) => u.tokenIds.includes(onceId))).toBe(false);
    // and the token service applied the report: lastUsedAt moved to a cached use
    await waitFor(async () => {
      const listed = await tokenService.client.request(ListTokens, { userId });
      const lastUsedAt = listed.find((t) => t.id === twiceId)?.lastUsedAt;
      return !!lastUsedAt && Date.parse(lastUsedAt) >= firstHit - 1; // Postgres keeps microseconds, JS ms
    }, 3000);
  });

  it('token.token.revoked drops the cached token at once', async () => {
    const { token: doomed, tokenId } = await tokenService.mint(userId);
    expect((await call(gw.url, 'GET', '/api/tokens', { token: doomed })).status).toBe(200);
    await db.query('UPDATE token.api_tokens SET active = false WHERE id = $1', [tokenId]);
    // still cached: the service no longer knows it, but the gateway has not heard of a revocation
    expect((await call(gw.url, 'GET', '/api/tokens', { token: doomed })).status).toBe(200);
    // a revoke (idempotent) publishes token.token.revoked again, which every gateway hears
    expect(await tokenService.client.request(RevokeToken, { userId, tokenId })).toEqual({ success: true });
    await waitFor(async () => (await call(gw.url, 'GET', '/api/tokens', { token: doomed })).status === 401, 1000);
  });

  it('GET /api/me answers for the token owner', async () => {
    const r = await call(gw.url, 'GET', '/api/me', { token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: userId, email: `${userId}@example.test`, name: null, isAdmin: false });
  });
});

describe('errors from services', () => {
  it('an AppError reply passes through unchanged, with its headers (Retry-After)', async () => {
    const { token: cached } = await tokenService.mint(userId);
    expect((await call(gw.url, 'GET', '/api/me', { token: cached })).status).toBe(200); // now in the auth cache
    tokenDb.cut(); // the token service's Postgres is gone; the gateway's broker and Redis are not
    try {
      const r = await call(gw.url, 'GET', '/api/me', { token: cached });
      expect(r.status).toBe(503);
      expect(r.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Token store unavailable, retry shortly',
      });
      expect(r.headers.get('retry-after')).toBe('5');
    } finally {
      tokenDb.restore();
    }
    await waitFor(async () => (await call(gw.url, 'GET', '/api/me', { token: cached })).status === 200, 5000, 100);
  });

  it('an unexpected failure in a service is a 500 with a generic message', async () => {
    const { token: cached } = await tokenService.mint(userId);
    expect((await call(gw.url, 'GET', '/api/me', { token: cached })).status).toBe(200);
    // A schema the service does not expect (a bug, not an outage): its users query fails with 42P01.
    await db.query('ALTER TABLE token.users RENAME TO users_moved_by_test');
    try {
      const r = await call(gw.url, 'GET', '/api/me', { token: cached });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    } finally {
      await db.query('ALTER TABLE token.users_moved_by_test RENAME TO users');
    }
    expect((await call(gw.url, 'GET', '/api/me', { token: cached })).status).toBe(200);
  });
});

describe('health', () => {
  it('200 with every dependency and the deployed token service; undeployed services skipped', async () => {
    const r = await call(gw.url, 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.checks.broker.status).toBe('ok');
    expect(r.body.checks.database.status).toBe('ok');
    expect(r.body.checks.redis.status).toBe('ok');
    expect(r.body.checks.services.token).toMatchObject({ status: 'ok', latency: expect.any(Number) });
    expect(r.body.checks.services.billing).toEqual({ status: 'not_deployed' });
  });
});
