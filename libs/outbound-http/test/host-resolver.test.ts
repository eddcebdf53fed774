/**
 * Outbound DNS (issue 10): names resolve off Node's 4-thread pool with a deadline, a nameserver that never answers
 * delays only its own names, and refusals name the category of the address, never the address.
 */
import crypto from 'node:crypto';
import dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeDns, type FakeDns } from '@wahooks/testing';
import { blockedCategory, createHostResolver, createSsrfGuard } from '../src/index.js';

let ns: FakeDns;

beforeAll(async () => {
  ns = await startFakeDns({
    answers: { 'fast.test': '203.0.113.7', 'inside.test': '10.1.2.3', 'meta.test': '169.254.169.254' },
    silent: ['stuck.test'],
  });
});
afterAll(async () => {
  await ns?.close();
});

const resolverOf = (timeoutMs = 800) => createHostResolver({ servers: [ns.server], timeoutMs });

/** Settles with the time it settled at, whichever way. */
const settledAt = (p: Promise<unknown>) =>
  p.then(
    () => performance.now(),
    () => performance.now(),
  );

describe('host resolver', () => {
  it('resolves through the configured servers; a silent nameserver fails with ETIMEOUT after the deadline', async () => {
    const resolver = resolverOf();
    expect(await resolver.resolve('fast.test')).toEqual([{ address: '203.0.113.7', family: 4 }]);
    const started = performance.now();
    await expect(resolver.resolve('stuck.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(resolver.resolve('nope.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('does not wait for the thread pool: with every pool thread busy it answers while dns.lookup waits', async () => {
    const resolver = resolverOf();
    const poolSize = Number(process.env.UV_THREADPOOL_SIZE || 4);
    // Calibrate a pool job of about a second, then keep every thread busy with one.
    const t0 = performance.now();
    crypto.pbkdf2Sync('x', 'salt', 20_000, 32, 'sha512');
    const iterations = Math.ceil((20_000 * 1000) / Math.max(1, performance.now() - t0));
    const jobs = Array.from(
      { length: poolSize },
      () =>
        new Promise<number>((resolve) =>
          crypto.pbkdf2('x', 'salt', iterations, 32, 'sha512', () => resolve(performance.now())),
        ),
    );
    const viaLookup = new Promise<number>((resolve) => dns.lookup('localhost', () => resolve(performance.now())));
    const viaResolver = settledAt(resolver.resolve('fast.test'));
    const [firstJobDone, lookupDone, resolverDone] = await Promise.all([Promise.race(jobs), viaLookup, viaResolver]);
    await Promise.all(jobs);
    expect(lookupDone).toBeGreaterThanOrEqual(firstJobDone); // getaddrinfo queued behind the busy pool (the hazard)
    expect(resolverDone).toBeLessThan(firstJobDone); // c-ares did not
  });

  it('a host whose nameserver never answers does not delay other hosts', async () => {
    const resolver = resolverOf(2000);
    const stuck = Array.from({ length: 50 }, (_, i) => settledAt(resolver.resolve(`h${i}.stuck.test`)));
    const fast = settledAt(resolver.resolve('fast.test'));
    const [fastDone, ...stuckDone] = await Promise.all([fast, ...stuck]);
    expect(fastDone).toBeLessThan(Math.min(...stuckDone));
  });

  it('concurrent lookups of one name share one query, and a failure is remembered for a while', async () => {
    const resolver = resolverOf(500);
    const before = ns.queries.get('once.stuck.test') ?? 0;
    const all = await Promise.allSettled(Array.from({ length: 20 }, () => resolver.resolve('once.stuck.test')));
    expect(all.every((r) => r.status === 'rejected')).toBe(true);
    await expect(resolver.resolve('once.stuck.test')).rejects.toMatchObject({ code: 'ETIMEOUT' }); // cached: at once
    // one A and one AAAA query for the whole lot
    expect((ns.queries.get('once.stuck.test') ?? 0) - before).toBeLessThanOrEqual(2);
  });
});

describe('refusals name the category, not the address', () => {
  it('categories', () => {
    expect(blockedCategory('169.254.169.254')).toBe('cloud metadata');
    expect(blockedCategory('fd00:ec2::254')).toBe('cloud metadata');
    expect(blockedCategory('169.254.1.1')).toBe('link-local');
    expect(blockedCategory('127.0.0.2')).toBe('loopback');
    expect(blockedCategory('::ffff:10.0.0.1')).toBe('private network');
    expect(blockedCategory('2002:c0a8:0101::1')).toBe('private network'); // 6to4 of 192.168.1.1
    expect(blockedCategory('100.64.0.1')).toBe('carrier-grade NAT');
    expect(blockedCategory('224.0.0.1')).toBe('multicast');
    expect(blockedCategory('64:ff9b::a00:1')).toBe('IPv6 transition');
    expect(blockedCategory('203.0.113.7')).toBeNull();
  });

  it('create-time check and connect-time hook: the category, never the resolved address', async () => {
    const guard = createSsrfGuard([], { resolver: resolverOf() });
    const refused = await guard.checkUrl(new URL('http://inside.test/hook'));
    expect(refused).toBe(
      'url must not point to a loopback, private, link-local or metadata address (refused: private network)',
    );
    expect(await guard.checkUrl(new URL('http://meta.test/'))).toMatch(/\(refused: cloud metadata\)$/);
    expect(await guard.checkUrl(new URL('http://fast.test/'))).toBeNull();
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      guard.lookup('inside.test', { all: true }, (e) => resolve(e)),
    );
    expect(err?.code).toBe('EBLOCKED');
    expect(err?.message).toBe('BLOCKED_ADDRESS: inside.test resolves to a blocked address (refused: private network)');
    expect(`${refused} ${err?.message}`).not.toContain('10.1.2.3');
  });
});
