/**
 * CoalescingLimiter against the real Redis: a burst in one turn is one INCRBY n, split exactly as n single
 * consumes would have been; a Redis that never answers fails the batch within the timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { CoalescingLimiter } from '../src/rate-limit/coalescing-limiter.js';

let env: TestEnv;
let redis: ReturnType<typeof createClient>;
const limiterOf = (name: string, points: number) =>
  new RateLimiterRedis({
    storeClient: redis,
    useRedisPackage: true,
    keyPrefix: `${env.redisPrefix}${name}`,
    points,
    duration: 60,
    inMemoryBlockOnConsumed: points + 1,
  });

beforeAll(async () => {
  env = await createTestEnv('gateway_coalesce', { database: false });
  redis = createClient({ url: env.redisUrl });
  await redis.connect();
});

afterAll(async () => {
  await redis?.close();
  await env?.cleanup();
});

/** Settles every promise; 'ok:<consumed>' or 'over:<consumed>' per caller, in call order. */
const outcomes = (ps: Promise<RateLimiterRes>[]) =>
  Promise.all(
    ps.map((p) =>
      p.then(
        (r) => `ok:${r.consumedPoints}:${r.remainingPoints}`,
        (e: unknown) => (e instanceof RateLimiterRes ? `over:${e.consumedPoints}` : `error:${String(e)}`),
      ),
    ),
  );

describe('CoalescingLimiter', () => {
  it('a burst in one turn is one Redis count, split in arrival order', async () => {
    const limiter = limiterOf('burst', 5);
    const counts = new CoalescingLimiter(limiter, 2000);
    const monitor = redis.duplicate();
    await monitor.connect();
    const evals: string[] = [];
    await monitor.monitor((line) => {
      if (/"eval"/i.test(line) && line.includes(`${env.redisPrefix}burst`)) evals.push(line);
    });
    try {
      const result = await outcomes(Array.from({ length: 8 }, () => counts.consume('client-a')));
      expect(result).toEqual(['ok:1:4', 'ok:2:3', 'ok:3:2', 'ok:4:1', 'ok:5:0', 'over:6', 'over:7', 'over:8']);
      await new Promise((r) => setTimeout(r, 100)); // MONITOR lines arrive asynchronously
      expect(evals).toHaveLength(1); // one INCRBY 8, not eight INCRBY 1
    } finally {
      await monitor.close();
    }
    // Redis holds the same count as 8 single consumes would have left.
    expect(Number(await redis.get(limiter.getKey('client-a')))).toBe(8);
  });

  it('a second burst continues from the count the first left; a blocked key is refused without Redis', async () => {
    const counts = new CoalescingLimiter(limiterOf('continue', 4), 2000);
    expect(await outcomes([counts.consume('k'), counts.consume('k')])).toEqual(['ok:1:3', 'ok:2:2']);
    expect(await outcomes([counts.consume('k'), counts.consume('k'), counts.consume('k')])).toEqual([
      'ok:3:1',
      'ok:4:0',
      'over:5',
    ]);
    // 5 >= inMemoryBlockOnConsumed: the key is blocked in memory; every caller is over, consumedPoints 0.
    expect(await outcomes([counts.consume('k'), counts.consume('k')])).toEqual(['over:0', 'over:0']);
  });

  it('keys are counted apart within one batch', async () => {
    const counts = new CoalescingLimiter(limiterOf('keys', 2), 2000);
    const r = await outcomes([counts.consume('a'), counts.consume('b'), counts.consume('a'), counts.consume('a')]);
    expect(r).toEqual(['ok:1:1', 'ok:1:1', 'ok:2:0', 'over:3']);
  });

  it('a Redis that never answers fails the whole batch within the timeout (the caller fails open)', async () => {
    // A TCP proxy to the real Redis that, once told to, swallows what the client sends: commands hang.
    let swallow = false;
    const proxy = net.createServer((client) => {
      const target = new URL(env.redisUrl);
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      client.on('data', (d) => {
        if (!swallow) upstream.write(d);
      });
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const stalled = createClient({
      url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      commandOptions: { timeout: 0 }, // as the gateway: the limiter's own timer is the only bound
    });
    stalled.on('error', () => undefined);
    await stalled.connect();
    try {
      swallow = true;
      const limiter = new RateLimiterRedis({ storeClient: stalled, useRedisPackage: true, points: 5, duration: 60 });
      const counts = new CoalescingLimiter(limiter, 300);
      const started = Date.now();
      const r = await outcomes([counts.consume('x'), counts.consume('x')]);
      expect(r).toEqual([
        'error:Error: Redis did not answer within 300 ms',
        'error:Error: Redis did not answer within 300 ms',
      ]);
      expect(Date.now() - started).toBeLessThan(5000); // Redis never answers: only the 300 ms timer ends it
    } finally {
      stalled.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});
