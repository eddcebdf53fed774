/**
 * The gateway on the real RabbitMQ/Redis/Postgres with a scripted token service: envelope, validation, limits,
 * helmet, OpenAPI, wh_ auth with its cache and revocation, health.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TokenRevoked } from '@wahooks/contracts';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { sha256Hex } from '../src/auth/api-token-verifier.js';
import type { Gateway } from '../src/service.js';
import {
  BROKEN_USER,
  BUSY_USER,
  call,
  newToken,
  startFakeTokenService,
  startTestGateway,
  waitFor,
  type FakeTokenService,
} from './support.js';

let env: TestEnv;
let gw: Gateway;
let tokenService: FakeTokenService;
const userId = randomUUID();
const token = newToken();

beforeAll(async () => {
  env = await createTestEnv('gateway');
  tokenService = await startFakeTokenService(env);
  tokenService.tokens.set(token, { userId, tokenId: randomUUID() });
  gw = await startTestGateway(env, { BODY_LIMIT: '1kb', RATE_LIMIT_PER_MINUTE: '1000' });
});

afterAll(async () => {
  await gw?.stop(100);
  await tokenService?.close();
  await env?.cleanup();
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

  it('CORS for any origin (SPEC §1): preflight 204, headers on responses', async () => {
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

  it('missing name → 400 "name is required" (SPEC §9 #6), also with no body at all', async () => {
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
    const before = tokenService.calls.verify ?? 0;
    const fresh = newToken();
    tokenService.tokens.set(fresh, { userId, tokenId: randomUUID() });
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => call(gw.url, 'GET', '/api/tokens', { token: fresh })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await call(gw.url, 'GET', '/api/tokens', { token: fresh });
    expect((tokenService.calls.verify ?? 0) - before).toBe(1);
  });

  it('uses answered from the cache are reported as gateway.token.used (lastUsedAt), RPC-verified ones are not', async () => {
    const once = newToken(); // one use: a cache miss, which the token service marks itself
    const onceId = randomUUID();
    const twice = newToken(); // a miss, then hits the token service never sees
    const twiceId = randomUUID();
    tokenService.tokens.set(once, { userId, tokenId: onceId });
    tokenService.tokens.set(twice, { userId, tokenId: twiceId });
    expect((await call(gw.url, 'GET', '/api/tokens', { token: once })).status).toBe(200);
    expect((await call(gw.url, 'GET', '/api/tokens', { token: twice })).status).toBe(200);
    const firstHit = Date.now();
    for (let i = 0; i < 3; i++) expect((await call(gw.url, 'GET', '/api/me', { token: twice })).status).toBe(200);

    await waitFor(() => tokenService.used.some((u) => u.tokenIds.includes(twiceId)), 3000);
    const reports = tokenService.used.filter((u) => u.tokenIds.includes(twiceId));
    expect(reports.length).toBeLessThanOrEqual(2); // batched: not one event per request
    expect(Date.parse(reports.at(-1)!.at)).toBeGreaterThanOrEqual(firstHit);
    expect(tokenService.used.some((u) => u.tokenIds.includes(onceId))).toBe(false);
  });

  it('token.token.revoked drops the cached token at once', async () => {
    const doomed = newToken();
    const tokenId = randomUUID();
    tokenService.tokens.set(doomed, { userId, tokenId });
    expect((await call(gw.url, 'GET', '/api/tokens', { token: doomed })).status).toBe(200);
    tokenService.tokens.delete(doomed);
    // still cached: the service no longer knows it, but the gateway has not heard of a revocation
    expect((await call(gw.url, 'GET', '/api/tokens', { token: doomed })).status).toBe(200);
    await tokenService.broker.publish(TokenRevoked, { tokenId, userId, tokenHash: sha256Hex(doomed) });
    await waitFor(async () => (await call(gw.url, 'GET', '/api/tokens', { token: doomed })).status === 401, 1000);
  });

  it('GET /api/me answers for the token owner', async () => {
    const r = await call(gw.url, 'GET', '/api/me', { token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: userId, isAdmin: false });
  });
});

describe('errors from services', () => {
  it('an AppError reply passes through unchanged, with its headers (Retry-After)', async () => {
    const busy = newToken();
    tokenService.tokens.set(busy, { userId: BUSY_USER, tokenId: randomUUID() });
    const r = await call(gw.url, 'GET', '/api/me', { token: busy });
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'token service is busy' });
    expect(r.headers.get('retry-after')).toBe('7');
  });

  it('an unexpected failure in a service is a 500 with a generic message', async () => {
    const broken = newToken();
    tokenService.tokens.set(broken, { userId: BROKEN_USER, tokenId: randomUUID() });
    const r = await call(gw.url, 'GET', '/api/me', { token: broken });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
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
