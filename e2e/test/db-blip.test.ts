/**
 * A database blip in the middle of a burst: every backend of the stack's database terminated (what a failover,
 * a restart or an idle-connection killer does), once and then again and again, while inbound WhatsApp messages
 * go emulator → connection service → webhook-delivery → a local receiver. Every sent message must reach the
 * webhook at least once, under one webhook-id; the API answers 2xx or 503 + Retry-After, never hangs; nothing
 * crashes. Only this test's own database is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import {
  acceptableDuringFault,
  startBackendTerminator,
  startProber,
  watchForCrashes,
  type ProbeResult,
} from './support/faults.js';
import { startInboundStack, type InboundStack } from './support/inbound-stack.js';

let env: TestEnv;
let stack: InboundStack;
let terminator: Awaited<ReturnType<typeof startBackendTerminator>>;
let connectionId: string;
let phone: string;
const crashes = watchForCrashes();

beforeAll(async () => {
  env = await createTestEnv('e2e_db_blip');
  stack = await startInboundStack(env);
  terminator = await startBackendTerminator(env.databaseUrl);
  ({ connectionId, phone } = await stack.link());
}, 120_000);

afterAll(async () => {
  crashes.stop();
  await terminator?.close();
  await stack?.close();
  await env?.cleanup();
});

const apiPaths = () => ['/api/connections', '/api/tokens', `/api/connections/${connectionId}/webhooks`];
/** The gateway's RPC deadline (3 s here) plus slack: an answer later than this is a hang. */
const PROBE_BOUND_MS = 8000;

function report(label: string, value: unknown) {
  process.stdout.write(`[db-blip] ${label}: ${JSON.stringify(value)}\n`);
}

function badProbes(results: ProbeResult[]) {
  return results.filter((r) => !acceptableDuringFault(r));
}

describe('Postgres backends terminated during a burst', () => {
  it('once, mid-burst: every message reaches the webhook, one webhook-id each', async () => {
    const prober = startProber(stack.gateway.url, stack.apiToken, apiPaths(), 200, PROBE_BOUND_MS);
    const sending = stack.burst(phone, 100, 'once');
    await new Promise((r) => setTimeout(r, 1500));
    const killed = await terminator.terminate();
    const sent = await sending;
    const result = await stack.settle(sent, 90_000);
    const probes = await prober.stop();
    report('once', { killed, ...result, missing: result.missing.length, probes: probes.length });

    expect(killed).toBeGreaterThan(0);
    expect(result.missing).toEqual([]);
    expect(result.changedIds).toEqual([]);
    expect(badProbes(probes)).toEqual([]);
    expect(crashes.crashes).toEqual([]);
  }, 180_000);

  it('again and again through a burst of 300: nothing lost, repeats keep their webhook-id', async () => {
    const prober = startProber(stack.gateway.url, stack.apiToken, apiPaths(), 200, PROBE_BOUND_MS);
    let terminating = true;
    const killing = (async () => {
      while (terminating) {
        await terminator.terminate();
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      }
    })();
    const before = terminator.counts();
    const sent = await stack.burst(phone, 300, 'again');
    await new Promise((r) => setTimeout(r, 3000)); // keep terminating while the tail is in flight
    terminating = false;
    await killing;
    const killed = {
      total: terminator.counts().total - before.total,
      rounds: terminator.counts().rounds - before.rounds,
    };
    const result = await stack.settle(sent, 150_000);
    const probes = await prober.stop();
    const statuses = probes.reduce<Record<string, number>>((m, p) => ((m[p.status] = (m[p.status] ?? 0) + 1), m), {});
    report('repeatedly', { killed, ...result, missing: result.missing.length, statuses });

    expect(killed.total).toBeGreaterThan(killed.rounds); // the services' pools, not just an idle connection
    expect(result.missing).toEqual([]);
    expect(result.changedIds).toEqual([]);
    expect(badProbes(probes)).toEqual([]);
    expect(crashes.crashes).toEqual([]);
    // The stack is whole again: health 200 once the last blip is over.
    const health = await stack.api('GET', '/api/health');
    expect(health.status).toBe(200);
  }, 300_000);
});
