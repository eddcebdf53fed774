/**
 * Rate-limit keys and ordering (issue 10): IPv6 clients are counted per /64 (one subscriber picks any address of
 * its /64), and a burst of reads with a cached token cannot get work done past the limit (counted before serving).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTracing, type TestTracing } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { clientKey } from '../src/rate-limit/client-key.js';
import type { Gateway } from '../src/service.js';
import { call, requestsSent, startTestGateway, startTokenService, type TokenServiceProcess } from './support.js';

let env: TestEnv;
let tracing: TestTracing;
let tokenService: TokenServiceProcess;
let token = '';
const started: Gateway[] = [];
let n = 0;
const gateway = async (extra: Record<string, string>) => {
  const g = await startTestGateway(env, { REDIS_PREFIX: `${env.redisPrefix}${n++}:`, ...extra });
  started.push(g);
  return g;
};

beforeAll(async () => {
  tracing = createTestTracing();
  env = await createTestEnv('gateway_rate_keys');
  tokenService = await startTokenService(env);
  ({ token } = await tokenService.mint(randomUUID()));
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((g) => g.stop(100)));
  await tokenService?.stop();
  await env?.cleanup();
  await tracing?.shutdown();
});

describe('per-IP keys', () => {
  it('IPv6 addresses count per /64; IPv4-mapped addresses as their IPv4 address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('a client rotating addresses inside one /64 shares one limit; another /64 has its own', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' });
    const from = (ip: string) => call(gw.url, 'GET', '/api', { headers: { 'x-forwarded-for': ip } });
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) statuses.push((await from(`2001:db8:aa:bb:${i.toString(16)}::${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await from('2001:db8:aa:bc::1')).status).toBe(200);
  });
});

describe('reads with a cached token', () => {
  it('a concurrent burst runs at most the limit of commands; the rest are 429 before anything runs', async () => {
    const gw = await gateway({ RATE_LIMIT_PER_MINUTE: '5' });
    expect((await call(gw.url, 'GET', '/api/tokens', { token })).status).toBe(200); // the token is cached now
    const before = requestsSent(tracing, 'token.token.list');
    const burst = await Promise.all(Array.from({ length: 20 }, () => call(gw.url, 'GET', '/api/tokens', { token })));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(4).fill(200), ...Array(16).fill(429)]);
    expect(requestsSent(tracing, 'token.token.list') - before).toBe(4);
  });
});
