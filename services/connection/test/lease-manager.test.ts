import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, startTcpProxy, type TestEnv } from '@wahooks/testing';
import { createLeaseManager, type LeaseManager } from '../src/lease/lease-manager.js';
import { acquireLease, leaseKeys } from '../src/lease/redis-lease.js';

const logger = createLogger('test', 'silent');
let env: TestEnv;
let redis: RedisClientType;
const clients: RedisClientType[] = [];

async function client(url: string): Promise<RedisClientType> {
  const c = createClient({ url, socket: { reconnectStrategy: () => 100, connectTimeout: 500 } }) as RedisClientType;
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  env = await createTestEnv('conn_lease', { database: false });
  redis = await client(env.redisUrl);
});

afterAll(async () => {
  const keys = await redis.keys(`${env.redisPrefix}*`);
  if (keys.length) await redis.del(keys);
  for (const c of clients) c.destroy();
  await env.cleanup();
});

interface Probe {
  mgr: LeaseManager;
  events: string[];
  tokens: Map<string, number>;
}

function manager(r: RedisClientType, prefix: string, instanceId: string, sessions: string[], leaseMs = 1000): Probe {
  const events: string[] = [];
  const tokens = new Map<string, number>();
  const mgr = createLeaseManager({
    redis: r,
    prefix,
    instanceId,
    leaseMs,
    logger,
    desired: async () => sessions,
    onAcquired: (id, token) => {
      events.push(`+${id}`);
      tokens.set(id, token);
    },
    onLost: (id, reason) => {
      events.push(`-${id}:${reason}`);
    },
  });
  return { mgr, events, tokens };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const disjoint = (a: string[], b: string[]) => a.every((x) => !b.includes(x));

describe('session leases', () => {
  it('splits sessions fairly between two replicas, never both owning one', async () => {
    const prefix = `${env.redisPrefix}split:`;
    const sessions = Array.from({ length: 10 }, () => randomUUID());
    const a = manager(redis, prefix, 'a', sessions);
    const b = manager(redis, prefix, 'b', sessions);
    await a.mgr.tick(); // alone: takes everything
    expect(a.mgr.owned()).toHaveLength(10);
    for (let i = 0; i < 12; i++) {
      await b.mgr.tick();
      await a.mgr.tick();
      expect(disjoint(a.mgr.owned(), b.mgr.owned())).toBe(true);
    }
    expect(a.mgr.owned()).toHaveLength(5);
    expect(b.mgr.owned()).toHaveLength(5);
    expect([...a.mgr.owned(), ...b.mgr.owned()].sort()).toEqual([...sessions].sort());
    // a handed sessions back, which b acquired with a newer fencing token
    const moved = b.mgr.owned()[0]!;
    expect(b.mgr.tokenOf(moved)).toBeGreaterThan(1);
    await a.mgr.stop();
    await b.mgr.stop();
  });

  it('moves a crashed replica sessions to the survivor within the lease time, with higher fencing tokens', async () => {
    const prefix = `${env.redisPrefix}crash:`;
    const sessions = Array.from({ length: 6 }, () => randomUUID());
    const a = manager(redis, prefix, 'a', sessions);
    const b = manager(redis, prefix, 'b', sessions);
    for (let i = 0; i < 6; i++) {
      await a.mgr.tick();
      await b.mgr.tick();
    }
    expect(a.mgr.owned().length + b.mgr.owned().length).toBe(6);
    const lostByA = a.mgr.owned();
    const oldTokens = new Map(lostByA.map((id) => [id, a.mgr.tokenOf(id)!]));
    // "SIGKILL" a: it stops renewing and never releases. Its own deadline drops the sessions locally.
    const crashedAt = Date.now();
    b.mgr.start();
    while (b.mgr.owned().length < 6) {
      expect(Date.now() - crashedAt).toBeLessThan(5000);
      await sleep(50);
    }
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(800 - 250); // not before a's lease could run out
    for (const id of lostByA) expect(b.mgr.tokenOf(id)).toBeGreaterThan(oldTokens.get(id)!);
    expect(a.events.filter((e) => e.endsWith(':expired')).length).toBe(lostByA.length);
    expect(a.mgr.owned()).toEqual([]);
    await b.mgr.stop();
  });

  it('reports a lease taken over by someone else at the next renewal', async () => {
    const prefix = `${env.redisPrefix}taken:`;
    const id = randomUUID();
    const a = manager(redis, prefix, 'a', [id], 5000);
    await a.mgr.tick();
    expect(a.mgr.owned()).toEqual([id]);
    // An operator (or a bug) deletes the key and another holder takes it.
    await redis.del(leaseKeys(prefix, id).lease);
    expect(await acquireLease(redis, leaseKeys(prefix, id), 'intruder', 5000)).toBe(2);
    await a.mgr.tick();
    expect(a.events).toContain(`-${id}:taken`);
    expect(a.mgr.owned()).toEqual([]);
    await a.mgr.stop();
  });

  it('drops its sessions locally, before the lease ends, when Redis becomes unreachable', async () => {
    const prefix = `${env.redisPrefix}cut:`;
    const proxy = await startTcpProxy(env.redisUrl);
    try {
      const viaProxy = await client(proxy.url(env.redisUrl));
      const sessions = [randomUUID(), randomUUID()];
      // A 5 s lease: a drops its sessions 1 s (the margin) before the lease could run out in Redis, so the check
      // below has that much slack on a loaded machine.
      const leaseMs = 5000;
      const a = manager(viaProxy, prefix, 'a', sessions, leaseMs);
      await a.mgr.tick();
      expect(a.mgr.owned()).toHaveLength(2);
      a.mgr.start();
      const cutAt = Date.now();
      proxy.cut();
      while (a.mgr.owned().length > 0) {
        expect(Date.now() - cutAt).toBeLessThan(leaseMs); // strictly inside the lease
        await sleep(20);
      }
      expect(a.events.filter((e) => e.endsWith(':expired'))).toHaveLength(2);
      // Another replica can take them only after the lease ran out in Redis.
      const b = manager(redis, prefix, 'b', sessions);
      await b.mgr.tick();
      expect(b.mgr.owned().length).toBeLessThanOrEqual(2);
      // nothing of a's reached Redis after the cut, so its lease there has run out by cutAt + leaseMs
      await sleep(cutAt + leaseMs + 200 - Date.now());
      await b.mgr.tick();
      expect(b.mgr.owned()).toHaveLength(2);
      await b.mgr.stop();
      proxy.restore();
      await a.mgr.stop();
    } finally {
      await proxy.close();
    }
  });

  it('releases a session that is no longer desired', async () => {
    const prefix = `${env.redisPrefix}undesired:`;
    const sessions = [randomUUID(), randomUUID()];
    const a = manager(redis, prefix, 'a', sessions, 5000);
    await a.mgr.tick();
    sessions.pop();
    await a.mgr.tick();
    expect(a.mgr.owned()).toEqual([sessions[0]]);
    expect(a.events.some((e) => e.endsWith(':released'))).toBe(true);
    await a.mgr.stop();
  });

  it('keeps a released lease in Redis until the owner has stopped the session', async () => {
    const prefix = `${env.redisPrefix}release-after-stop:`;
    const id = randomUUID();
    let finishStop!: () => void;
    const stopping = new Promise<void>((resolve) => (finishStop = resolve));
    const a = createLeaseManager({
      redis,
      prefix,
      instanceId: 'a',
      leaseMs: 5000,
      logger,
      desired: async () => [id],
      onAcquired: () => undefined,
      onLost: () => stopping, // the session's stop: socket closed, last key commit landed
    });
    await a.tick();
    expect(a.owned()).toEqual([id]);
    const released = a.release(id);
    await sleep(200);
    expect(a.owned()).toEqual([]); // dropped locally at once
    expect(await acquireLease(redis, leaseKeys(prefix, id), 'b', 5000)).toBeUndefined(); // still held in Redis
    finishStop();
    await released;
    expect(await acquireLease(redis, leaseKeys(prefix, id), 'b', 5000)).toBeGreaterThan(0);
    await a.stop();
  });
});
