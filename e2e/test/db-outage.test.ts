/**
 * Postgres unreachable for 30 s in the middle of inbound traffic: the token, connection and webhook-delivery
 * services reach Postgres through a TCP proxy of this test's own, which first refuses (cut: the server is down),
 * then, in a second round, forwards nothing (stall: a network partition). Messages sent before, during and after
 * the outage must all reach the webhook, under one webhook-id each; the ones sent during it are not
 * acknowledged to WhatsApp while Postgres is away (the emulator still holds them as unacked); the API answers
 * 2xx or 503 + Retry-After in bounded time; /api/health says degraded, database error, while it lasts and ok
 * after; nothing crashes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import {
  acceptableDuringFault,
  startFaultProxy,
  startHealthSampler,
  startProber,
  watchForCrashes,
  type FaultProxy,
} from './support/faults.js';
import { startInboundStack, type InboundStack } from './support/inbound-stack.js';

const OUTAGE_MS = 30_000;
/** The gateway's RPC deadline (3 s here) plus slack: an answer later than this is a hang. */
const PROBE_BOUND_MS = 8000;

let env: TestEnv;
let proxy: FaultProxy;
let stack: InboundStack;
let connectionId: string;
let phone: string;
const crashes = watchForCrashes();

beforeAll(async () => {
  env = await createTestEnv('e2e_db_outage');
  proxy = await startFaultProxy(env.databaseUrl);
  const viaProxy = { DATABASE_URL: proxy.url(env.databaseUrl) };
  stack = await startInboundStack(env, { token: viaProxy, connection: viaProxy, webhookDelivery: viaProxy });
  ({ connectionId, phone } = await stack.link());
}, 120_000);

afterAll(async () => {
  crashes.stop();
  proxy?.restore();
  await stack?.close();
  await proxy?.close();
  await env?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const report = (label: string, value: unknown) =>
  process.stdout.write(`[db-outage] ${label}: ${JSON.stringify(value)}\n`);

async function outage(mode: 'cut' | 'stall') {
  const unacked = stack.emulator.directory.account(phone)!.unacked;
  const before = await stack.burst(phone, 50, `${mode} before`);
  const prober = startProber(
    stack.gateway.url,
    stack.apiToken,
    ['/api/connections', '/api/tokens', `/api/connections/${connectionId}/webhooks`],
    500,
    PROBE_BOUND_MS,
  );
  const health = startHealthSampler(stack.gateway.url, 1000);

  const down = Date.now();
  if (mode === 'cut') proxy.cut();
  else proxy.stall();
  const during = await stack.burst(phone, 100, `${mode} during`, 100);
  await sleep(down + OUTAGE_MS - Date.now());
  // Nothing that arrived meanwhile was acknowledged to WhatsApp: the emulator would deliver it again.
  const ackedWhileDown = during.filter((id) => !unacked.has(id));
  const up = Date.now();
  proxy.restore();

  const after = await stack.burst(phone, 50, `${mode} after`);
  const sent = [...before, ...during, ...after];
  const result = await stack.settle(sent, 180_000);
  const probes = await prober.stop();
  const healthyAgain = Date.now();
  let last = await stack.api('GET', '/api/health');
  while (last.status !== 200 && Date.now() - healthyAgain < 30_000) {
    await sleep(500);
    last = await stack.api('GET', '/api/health');
  }
  await health.stop();

  // Health while it lasted: from a few seconds in (a check takes up to its timeout to notice) to the restore.
  const whileDown = health.between(down + 5000, up - 1000);
  const statuses = probes.reduce<Record<string, number>>((m, p) => ((m[p.status] = (m[p.status] ?? 0) + 1), m), {});
  report(mode, {
    ...result,
    missing: result.missing.length,
    ackedWhileDown: ackedWhileDown.length,
    probes: statuses,
    slowestProbeMs: Math.max(...probes.map((p) => p.ms)),
    health: whileDown.map((s) => `${s.status}/${s.body?.checks.database.status}`).join(' '),
  });
  return { result, ackedWhileDown, probes, whileDown, last };
}

describe('Postgres unreachable for 30 s', () => {
  it.each(['cut', 'stall'] as const)(
    '%s: every message arrives once it is back, none acked to WhatsApp while it is away',
    async (mode) => {
      const { result, ackedWhileDown, probes, whileDown, last } = await outage(mode);

      expect(result.missing).toEqual([]);
      expect(result.changedIds).toEqual([]);
      expect(ackedWhileDown).toEqual([]);
      expect(probes.filter((p) => !acceptableDuringFault(p))).toEqual([]);
      expect(probes.some((p) => p.status === 503)).toBe(true); // the probes did run into the outage
      expect(whileDown.length).toBeGreaterThan(5);
      for (const s of whileDown) {
        expect(s.status).toBe(503);
        expect(s.body?.status).toBe('degraded');
        expect(s.body?.checks.database.status).toBe('error');
      }
      expect(last.status).toBe(200);
      expect(crashes.crashes).toEqual([]);
    },
    300_000,
  );
});
