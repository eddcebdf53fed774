/** Rate limits (429 + headers), Redis down (fail open, health 503), a stopped service (503 in time, health 503). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ListTokens } from '@wahooks/contracts';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { call, startTestGateway, startTokenService, type TokenServiceProcess } from './support.js';

let env: TestEnv;
let tokenService: TokenServiceProcess;
let token = '';
const userId = randomUUID();
const started: Gateway[] = [];
const gateway = async (extra: Record<string, string>) => {
  // HEALTH_CACHE_MS 0: these tests watch health change from one call to the next
  const g = await startTestGateway(env, {
    RPC_TIMEOUT_MS: '1000',
    HEALTH_TIMEOUT_MS: '500',
    HEALTH_CACHE_MS: '0',
    ...extra,
  });
  started.push(g);
  return g;
};

beforeAll(async () => {
  env = await createTestEnv('gateway_limits');
  tokenService = await startTokenService(env);
  ({ token } = await tokenService.mint(userId));
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((g) => g.stop(100)));
  await tokenService?.stop();
  await env?.cleanup();
});

describe('rate limits', () => {
  it('per client IP: 429 after RATE_LIMIT_PER_MINUTE with Retry-After and RateLimit-* headers', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '3', REDIS_PREFIX: `${env.redisPrefix}ip:` });
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await call(gw.url, 'GET', '/api'));
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(ok.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(ok[0]!.headers.get('ratelimit-limit')).toBe('3');
    const r = await call(gw.url, 'GET', '/api');
    expect(r.status).toBe(429);
    expect(r.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'ThrottlerException: Too Many Requests',
    });
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(r.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    // the unauthenticated health check is limited per IP too (cached, so a probe costs little: health-exposure.test)
    expect((await call(gw.url, 'GET', '/api/health')).status).toBe(429);
  });

  it('per user across IPs (behind a trusted proxy): the user limit trips even when IPs vary', async () => {
    const gw = await gateway({
      RATE_LIMIT_PER_MINUTE: '2',
      TRUST_PROXY: 'true',
      REDIS_PREFIX: `${env.redisPrefix}user:`,
    });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await call(gw.url, 'GET', '/api/tokens', { token, headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } }))
          .status,
      );
    expect(statuses).toEqual([200, 200, 429]);
    // now blocked in memory: refused at once, with the headers
    const again = await call(gw.url, 'GET', '/api/tokens', { token, headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(again.headers.get('ratelimit-remaining')).toBe('0');
    // writes over the limit never reach the service
    const post = await call(gw.url, 'POST', '/api/tokens', {
      token,
      body: { name: 'over' },
      headers: { 'x-forwarded-for': '203.0.113.10' },
    });
    expect(post.status).toBe(429);
    const names = (await tokenService.client.request(ListTokens, { userId })).map((t) => t.name);
    expect(names).not.toContain('over');
    expect(names).toHaveLength(1); // the token of beforeAll
  });

  it('Redis down: requests still pass (fail open) and health says 503', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '1', REDIS_URL: 'redis://127.0.0.1:1' });
    for (let i = 0; i < 3; i++) expect((await call(gw.url, 'GET', '/api/tokens', { token })).status).toBe(200);
    const h = await call(gw.url, 'GET', '/api/health');
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('degraded');
    expect(h.body.checks.redis.status).toBe('error');
    expect(h.body.checks.broker.status).toBe('ok');
  });
});

describe('a service that stopped answering', () => {
  it('RPC → 503 within the deadline (not a hang), and health → 503 naming the service', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '1000' });
    expect((await call(gw.url, 'GET', '/api/tokens', { token })).status).toBe(200);
    expect((await call(gw.url, 'GET', '/api/health')).status).toBe(200);
    await tokenService.stop(); // the process exits; its command queue stays: requests now wait in vain

    const t0 = Date.now();
    const r = await call(gw.url, 'POST', '/api/tokens', { token, body: { name: 'x' } });
    const took = Date.now() - t0;
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3000);

    const h = await call(gw.url, 'GET', '/api/health');
    expect(h.status).toBe(503);
    expect(h.body.checks.services.token.status).toBe('error');
    expect(h.body.checks.services.billing).toEqual({ status: 'not_deployed' });
  });
});
