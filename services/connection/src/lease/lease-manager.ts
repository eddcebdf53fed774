/**
 * Session ownership across replicas. Each replica heartbeats into a sorted set of live replicas, claims
 * unowned sessions up to its fair share (ceil(sessions / live replicas)), renews its leases, and hands back a
 * quarter of its excess per round while it holds more than its share (so a new replica gets work). A lease that
 * cannot be renewed before it runs out — Redis refused it, or could not be reached — is dropped locally
 * at once (`onLost`), before another replica can acquire it: the caller closes that socket immediately.
 */
import type { Logger } from '@wahooks/telemetry';
import { acquireLease, leaseKeys, leaseValue, releaseLease, renewLease, type RedisLike } from './redis-lease.js';

export interface LeaseManagerOptions {
  redis: RedisLike;
  prefix: string; // Redis key prefix ('' in production; per test file in tests)
  instanceId: string; // unique per replica process
  leaseMs?: number; // default 15000
  /** Every session that should be running somewhere (not stopped). */
  desired(): Promise<string[]>;
  onAcquired(connectionId: string, fencingToken: number): void | Promise<void>;
  onLost(connectionId: string, reason: 'expired' | 'taken' | 'released'): void | Promise<void>;
  logger: Logger;
  now?: () => number;
}

interface Held {
  token: number;
  value: string;
  validUntil: number; // local deadline: last successful renewal start + lease - safety margin
  deadline: NodeJS.Timeout;
}

export interface LeaseManager {
  /** One claim/renew/rebalance round (also runs on a timer once started). */
  tick(): Promise<void>;
  start(): void;
  owned(): string[];
  tokenOf(connectionId: string): number | undefined;
  /** Give one session back (e.g. the connection was deleted). */
  release(connectionId: string): Promise<void>;
  /** Release everything (graceful shutdown) and leave the replica set. */
  stop(): Promise<void>;
}

const shuffle = <T>(xs: T[]): T[] => {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

export function createLeaseManager(opts: LeaseManagerOptions): LeaseManager {
  const { redis, prefix, instanceId, logger } = opts;
  const leaseMs = opts.leaseMs ?? 15_000;
  const margin = Math.max(200, Math.floor(leaseMs / 5)); // for clock drift and the renewal round-trip
  const now = opts.now ?? Date.now;
  const replicasKey = `${prefix}connection:replicas`;
  const held = new Map<string, Held>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  /** Forgets the lease locally and tells the owner; resolves once `onLost` has finished (never rejects). */
  function drop(id: string, reason: 'expired' | 'taken' | 'released'): Promise<void> {
    const h = held.get(id);
    if (!h) return Promise.resolve();
    clearTimeout(h.deadline);
    held.delete(id);
    if (reason === 'released') logger.info({ connectionId: id }, 'session lease released');
    else logger.warn({ connectionId: id, reason }, 'session lease lost');
    return Promise.resolve()
      .then(() => opts.onLost(id, reason))
      .catch((err: Error) => logger.error({ err: err.message }, 'onLost failed'));
  }

  function arm(id: string, h: Omit<Held, 'deadline' | 'validUntil'>, startedAt: number) {
    const prev = held.get(id);
    if (prev) clearTimeout(prev.deadline);
    const validUntil = startedAt + leaseMs - margin;
    const deadline = setTimeout(() => void drop(id, 'expired'), Math.max(0, validUntil - now()));
    deadline.unref();
    held.set(id, { ...h, validUntil, deadline });
  }

  async function heartbeat(): Promise<number> {
    const t = now();
    await redis.zAdd(replicasKey, { score: t + leaseMs, value: instanceId });
    await redis.zRemRangeByScore(replicasKey, '-inf', t);
    return Math.max(1, await redis.zCard(replicasKey));
  }

  async function renewAll() {
    await Promise.all(
      [...held.entries()].map(async ([id, h]) => {
        const startedAt = now();
        try {
          const ok = await renewLease(redis, leaseKeys(prefix, id), h.value, leaseMs);
          logger.debug({ connectionId: id, ok, ms: now() - startedAt }, 'lease renewed');
          // An answer that arrives late (it waited out a Redis outage in the client's queue) is about a lease
          // this replica may have dropped and taken again meanwhile: it must not re-arm or drop the new one.
          if (held.get(id)?.value !== h.value) return;
          if (ok) arm(id, h, startedAt);
          else void drop(id, 'taken');
        } catch (err) {
          // Redis unreachable: keep the session until the local deadline fires, then drop it.
          logger.warn({ connectionId: id, err: (err as Error).message }, 'lease renewal failed');
        }
      }),
    );
  }

  async function claimRound() {
    if (stopped) return;
    const replicas = await heartbeat();
    const desired = await opts.desired();
    const wanted = new Set(desired);
    for (const id of [...held.keys()]) if (!wanted.has(id)) await release(id); // deleted/stopped meanwhile
    const share = Math.ceil(desired.length / replicas);
    for (const id of shuffle(desired)) {
      if (stopped || held.size >= share) break;
      if (held.has(id)) continue;
      const startedAt = now();
      const token = await acquireLease(redis, leaseKeys(prefix, id), instanceId, leaseMs);
      if (token === undefined) continue;
      arm(id, { token, value: leaseValue(instanceId, token) }, startedAt);
      // Not awaited: starting a session must never delay the renewal of the others.
      Promise.resolve()
        .then(() => opts.onAcquired(id, token))
        .catch(async (err: Error) => {
          logger.error({ connectionId: id, err: err.message }, 'onAcquired failed; releasing');
          await release(id);
        });
    }
    // Hand back a quarter of the excess per round (at least one), so a new replica gets work quickly but the
    // moved sessions reconnect in waves rather than all at once.
    const excess = held.size - share;
    if (excess > 0) {
      for (const id of shuffle([...held.keys()]).slice(0, Math.max(1, Math.ceil(excess / 4)))) await release(id);
    }
  }

  /**
   * Hands a session back: the owner stops first (socket closed, its last Signal key writes committed), and only
   * then may another replica take the lease. Released earlier, the next owner could load the keys before the
   * old owner's last ratchet commit and send with a counter the contact has already used (undecryptable). A
   * stop slower than the lease's remaining time lets it expire instead, which is as safe.
   */
  async function release(id: string) {
    const h = held.get(id);
    if (!h) return;
    await drop(id, 'released');
    await releaseLease(redis, leaseKeys(prefix, id), h.value).catch(() => false);
  }

  // Renewals and claims run on separate loops, so a slow claim round never lets a held lease lapse.
  let renewing: Promise<void> | undefined;
  const renewTick = () => {
    renewing ??= renewAll()
      .catch((err: Error) => logger.warn({ err: err.message }, 'lease renewal round failed'))
      .finally(() => (renewing = undefined));
    return renewing;
  };
  const claimTick = () => {
    running ??= claimRound()
      .catch((err: Error) => logger.warn({ err: err.message }, 'lease claim round failed'))
      .finally(() => (running = undefined));
    return running;
  };
  const tick = async () => {
    await renewTick();
    await claimTick();
  };

  return {
    tick,
    start() {
      const every = Math.max(100, Math.floor(leaseMs / 3));
      timer = setInterval(() => {
        void renewTick();
        void claimTick();
      }, every);
      timer.unref();
      void tick();
    },
    owned: () => [...held.keys()],
    tokenOf: (id) => held.get(id)?.token,
    release,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
      await renewing;
      await Promise.all([...held.keys()].map(release));
      await redis.zRem(replicasKey, instanceId).catch(() => 0);
    },
  };
}
