/**
 * One customer's webhook host whose nameserver never answers delays nobody else's deliveries (issue 10): names
 * resolve off Node's thread pool (libs/outbound-http host-resolver.ts) with OUTBOUND_DNS_TIMEOUT_MS. The test's
 * own DNS server answers fast.test and never answers stuck.test.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateWebhook, ListWebhookLogs } from '@wahooks/contracts';
import { startFakeDns, type FakeDns } from '@wahooks/testing';
import { createHarness, startReceiver, waitFor, type Harness } from './harness.js';

let ns: FakeDns;
let h: Harness;
let rx: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  ns = await startFakeDns({ answers: { 'fast.test': '127.0.0.1' }, silent: ['stuck.test'] });
  rx = await startReceiver(() => 200);
  h = await createHarness('wd_stuck_dns', {
    // allow-listed by name: the create-time check does not resolve them; every attempt does
    allowedHosts: ['127.0.0.1', 'fast.test', 'stuck.test'],
    dnsServers: [ns.server],
    dnsTimeoutMs: 8000,
    timeoutMs: 15_000, // the attempt's own deadline: later than the DNS one
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await rx?.close();
  await ns?.close();
});

describe('a webhook host whose DNS never answers', () => {
  it("holds up only its own deliveries: the other webhook's arrive while it still waits", async () => {
    const { connectionId, userId } = await h.newConnection();
    const url = (host: string, path: string) => `http://${host}:${rx.port}${path}`;
    await h.client.request(CreateWebhook, { userId, connectionId, url: url('fast.test', '/fast'), events: ['*'] });
    const stuck = await h.client.request(CreateWebhook, {
      userId,
      connectionId,
      url: url('stuck.test', '/stuck'),
      events: ['*'],
    });
    const started = Date.now();
    for (let i = 0; i < 20; i++) await h.publishEvent({ connectionId, userId });
    await waitFor(() => rx.received.filter((r) => r.path === '/fast').length === 20, 6000, 'the 20 fast deliveries');
    const fastWithin = Date.now() - started;
    // meanwhile the stuck webhook's first attempts are still waiting for their DNS answer
    const pending = await h.client.request(ListWebhookLogs, { userId, webhookId: stuck.id });
    expect(pending.items.every((l) => l.attemptLog.length === 0)).toBe(true);
    expect(fastWithin).toBeLessThan(8000);

    // and then they fail on the deadline with a DNS timeout, nothing sent
    const failed = await waitFor(
      async () => {
        const logs = await h.client.request(ListWebhookLogs, { userId, webhookId: stuck.id });
        return logs.items.find((l) => l.attemptLog.length > 0);
      },
      20_000,
      'a finished attempt of the stuck webhook',
    );
    expect(failed.attemptLog[0]!.error).toMatch(/^ETIMEOUT: DNS lookup timed out/);
    expect(rx.received.filter((r) => r.path === '/stuck')).toHaveLength(0);
  }, 60_000);
});
