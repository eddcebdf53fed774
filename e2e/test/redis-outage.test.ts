/**
 * Redis unreachable for 30 s (longer than a session lease) in the middle of inbound traffic: the connection
 * service and the gateways reach Redis through a TCP proxy of this test's own, which refuses everything for the
 * outage. The session's owner cannot renew its lease, so it closes its socket before the lease can end (never
 * two sockets for the account at the emulator), takes the lease again once Redis is back, and resumes from its
 * stored credentials (no QR, no re-pairing). Messages sent meanwhile wait at WhatsApp and all reach the webhook
 * under one webhook-id each. The gateway's rate limits fail open (documented in its README) and count again
 * after; /api/health shows Redis down while it lasts; nothing crashes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { gatewayConfig } from '../../services/gateway/src/config.js';
import { startGateway, type Gateway } from '../../services/gateway/src/service.js';
import {
  acceptableDuringFault,
  probe,
  startFaultProxy,
  startHealthSampler,
  startProber,
  watchForCrashes,
  type FaultProxy,
  type ProbeResult,
} from './support/faults.js';
import { startInboundStack, type InboundStack } from './support/inbound-stack.js';

const OUTAGE_MS = 30_000;
const LEASE_MS = 10_000;

let env: TestEnv;
let proxy: FaultProxy;
let stack: InboundStack;
let limited: Gateway | undefined;
let connectionId: string;
let phone: string;
const crashes = watchForCrashes();

beforeAll(async () => {
  env = await createTestEnv('e2e_redis_outage');
  proxy = await startFaultProxy(env.redisUrl);
  const viaProxy = { REDIS_URL: proxy.url(env.redisUrl) };
  stack = await startInboundStack(env, {
    gateway: viaProxy,
    connection: { ...viaProxy, SESSION_LEASE_MS: String(LEASE_MS) },
  });
  ({ connectionId, phone } = await stack.link());
}, 120_000);

afterAll(async () => {
  crashes.stop();
  proxy?.restore();
  await limited?.stop(100);
  await stack?.close();
  await proxy?.close();
  await env?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const report = (label: string, value: unknown) =>
  process.stdout.write(`[redis-outage] ${label}: ${JSON.stringify(value)}\n`);

describe('Redis unreachable for 30 s', () => {
  it('sessions close before their lease ends and resume without re-pairing; nothing lost; limits fail open', async () => {
    const statuses = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const r = await probe(stack.gateway.url, `/api/connections/${connectionId}`, stack.apiToken, 8000);
        if (r.status === 200) statuses.add((await stack.api('GET', `/api/connections/${connectionId}`)).body.status);
        await sleep(1000);
      }
    })();
    const before = await stack.burst(phone, 50, 'redis before');
    const prober = startProber(
      stack.gateway.url,
      stack.apiToken,
      ['/api/connections', '/api/tokens', `/api/connections/${connectionId}/webhooks`],
      500,
      8000,
    );
    const health = startHealthSampler(stack.gateway.url, 1000);

    const down = Date.now();
    proxy.cut();
    const during = await stack.burst(phone, 100, 'redis during', 150);
    // A gateway with a low limit, started while Redis is away: it starts, and lets every request through.
    limited = await startGateway(
      gatewayConfig({
        ...env.serviceEnv,
        PORT: '0',
        REDIS_URL: proxy.url(env.redisUrl),
        RATE_LIMIT_PER_MINUTE: '5',
        RPC_TIMEOUT_MS: '3000',
      }),
    );
    const failOpen: ProbeResult[] = [];
    for (let i = 0; i < 10; i++) failOpen.push(await probe(limited.url, '/api/connections', stack.apiToken, 8000));
    await sleep(down + OUTAGE_MS - Date.now());
    const socketsWhileDown = stack.emulator.socketsOpen(phone);
    const up = Date.now();
    proxy.restore();

    const after = await stack.burst(phone, 50, 'redis after');
    const sent = [...before, ...during, ...after];
    const result = await stack.settle(sent, 180_000);
    const probes = await prober.stop();
    // Redis back: the limits count again (5 a minute here), once the gateway has reconnected.
    let counted: ProbeResult[] = [];
    for (let i = 0; i < 30 && !counted.some((p) => p.status === 429); i++) {
      counted = [];
      for (let j = 0; j < 10; j++) counted.push(await probe(limited.url, '/api/connections', stack.apiToken, 8000));
      if (!counted.some((p) => p.status === 429)) await sleep(1000);
    }
    await health.stop();
    watching = false;
    await watch;

    const census = stack.emulator.socketCount(phone);
    const whileDown = health.between(down + 5000, up - 1000);
    report('cut', {
      ...result,
      missing: result.missing.length,
      socketsWhileDown,
      maxConcurrentSockets: census.maxConcurrent,
      socketOpens: census.history.filter((e) => e.event === 'open').length,
      statuses: [...statuses],
      failOpen: failOpen.map((p) => p.status),
      afterRestore: counted.map((p) => p.status),
      health: whileDown.map((s) => `${s.status}/${s.body?.checks.redis.status}`).join(' '),
    });

    expect(result.missing).toEqual([]);
    expect(result.changedIds).toEqual([]);
    // One socket at a time, ever; none while the lease could not be renewed; a new one after (same device).
    expect(census.maxConcurrent).toBe(1);
    expect(socketsWhileDown).toBe(0);
    expect(census.open).toBe(1);
    expect(stack.emulator.accounts()).toEqual([expect.objectContaining({ phone, connected: true, loggedOut: false })]);
    expect([...statuses].filter((s) => s !== 'connected')).toEqual([]); // never back to a QR
    // The API: a success or a 503 with Retry-After, never a hang or a 500.
    expect(probes.filter((p) => !acceptableDuringFault(p))).toEqual([]);
    // Rate limits: fail open without Redis, count again with it.
    expect(failOpen.map((p) => p.status)).toEqual(Array(10).fill(200));
    expect(counted.some((p) => p.status === 429)).toBe(true);
    // Health: Redis down while it lasts (the gateway's own connection and the connection service's).
    expect(whileDown.length).toBeGreaterThan(5);
    for (const s of whileDown) {
      expect(s.status).toBe(503);
      expect(s.body?.checks.redis.status).toBe('error');
    }
    expect((await stack.api('GET', '/api/health')).status).toBe(200);
    expect(crashes.crashes).toEqual([]);
  }, 300_000);
});
