/**
 * GET /api/health without a token (issue 10): a flood costs one round of pings per HEALTH_CACHE_MS, the answer
 * names no instance (hostname:pid) and no error text (which can carry hosts and addresses), and the per-IP rate
 * limit applies. With a valid token: a fresh check with the details.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTracing, type TestTracing } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import {
  call,
  newToken,
  requestsSent,
  startTestGateway,
  startTokenService,
  type TokenServiceProcess,
} from './support.js';

let env: TestEnv;
let tracing: TestTracing;
let tokenService: TokenServiceProcess;
let token = '';
const started: Gateway[] = [];
const gateway = async (extra: Record<string, string>) => {
  const g = await startTestGateway(env, { HEALTH_TIMEOUT_MS: '1000', ...extra });
  started.push(g);
  return g;
};
const pings = () => requestsSent(tracing, 'token.health.ping');

beforeAll(async () => {
  tracing = createTestTracing();
  env = await createTestEnv('gateway_health_exposure');
  tokenService = await startTokenService(env);
  ({ token } = await tokenService.mint(randomUUID()));
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((g) => g.stop(100)));
  await tokenService?.stop();
  await env?.cleanup();
  await tracing?.shutdown();
});

describe('GET /api/health exposure', () => {
  it('anonymous: 50 concurrent calls share one check; no instance, host or pid in the answer', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '1000', HEALTH_CACHE_MS: '5000' });
    const before = pings();
    const answers = await Promise.all(Array.from({ length: 50 }, () => call(gw.url, 'GET', '/api/health')));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(pings() - before).toBe(1);
    const body = answers[0]!.body;
    expect(body.checks.services.token).toEqual({ status: 'ok', latency: expect.any(Number) });
    const text = JSON.stringify(answers.map((a) => a.body));
    expect(text).not.toContain('instance');
    expect(text).not.toContain(hostname());
    expect(text).not.toMatch(/:\d{2,7}"/); // no host:pid, no host:port
  });

  it('with a valid token: a fresh check each time, naming the replica that answered', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '1000', HEALTH_CACHE_MS: '5000' });
    const before = pings();
    for (let i = 0; i < 3; i++) {
      const r = await call(gw.url, 'GET', '/api/health', { token });
      expect(r.status).toBe(200);
      expect(r.body.checks.services.token).toMatchObject({
        status: 'ok',
        instance: expect.stringMatching(new RegExp(`^${hostname()}:\\d+$`)),
      });
    }
    expect(pings() - before).toBe(3);
    // a token that is not valid gets no details (and no anonymous fallback)
    expect((await call(gw.url, 'GET', '/api/health', { token: newToken() })).status).toBe(401);
  });

  it("an error's text only with a token: Redis down shows as a bare error to anonymous callers", async () => {
    const gw = await gateway({ REDIS_URL: 'redis://127.0.0.1:1', HEALTH_CACHE_MS: '0' });
    const anonymous = await call(gw.url, 'GET', '/api/health');
    expect(anonymous.status).toBe(503);
    expect(anonymous.body.checks.redis).toEqual({ status: 'error', latency: expect.any(Number) });
    const detailed = await call(gw.url, 'GET', '/api/health', { token });
    expect(detailed.status).toBe(503);
    expect(detailed.body.checks.redis).toEqual({
      status: 'error',
      latency: expect.any(Number),
      error: expect.any(String),
    });
  });

  it('the per-IP rate limit applies to anonymous callers', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '3', REDIS_PREFIX: `${env.redisPrefix}health-ip:` });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(gw.url, 'GET', '/api/health')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
