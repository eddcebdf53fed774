/**
 * Per-endpoint lanes: at most `concurrency` requests in flight per webhook, so one slow or dead receiver
 * holds a few slots, not the consumer's whole prefetch window. Each lane tracks its receiver's latency
 * (EWMA); an attempt whose expected wait (queued / concurrency x latency) exceeds `maxWaitMs`, or that finds
 * `backlog` attempts already queued, is refused (`null`) and the caller defers it through a delay queue.
 * A queued attempt that has waited longer than `maxWaitMs` by the time its slot frees is refused too.
 */
import PQueue from 'p-queue';

interface Lane {
  queue: PQueue;
  latencyMs: number; // EWMA of completed jobs
  lastUsed: number;
}

const ALPHA = 0.2;
const IDLE_LANE_MS = 60_000;

export function createEndpointLanes(opts: { concurrency: number; backlog: number; maxWaitMs: number }) {
  const lanes = new Map<string, Lane>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [k, l] of lanes)
      if (l.queue.size === 0 && l.queue.pending === 0 && now - l.lastUsed > IDLE_LANE_MS) lanes.delete(k);
  }, IDLE_LANE_MS);
  sweep.unref();

  const laneOf = (key: string): Lane => {
    let l = lanes.get(key);
    if (!l) {
      l = { queue: new PQueue({ concurrency: opts.concurrency }), latencyMs: 0, lastUsed: Date.now() };
      lanes.set(key, l);
    }
    return l;
  };

  return {
    /** Runs `job` in the endpoint's lane; resolves null (job not run) when the endpoint is saturated. */
    async run<T>(key: string, job: () => Promise<T>): Promise<T | null> {
      const l = laneOf(key);
      const queued = l.queue.size; // waiting for a slot (running ones are `pending`)
      const expectedWait = ((queued + 1) / opts.concurrency) * l.latencyMs;
      if (queued >= opts.backlog || (l.queue.pending >= opts.concurrency && expectedWait > opts.maxWaitMs)) return null;
      const queuedAt = Date.now();
      const result = await l.queue.add(async () => {
        if (Date.now() - queuedAt > opts.maxWaitMs) return null; // waited too long behind a slow receiver
        const started = performance.now();
        try {
          return { value: await job() };
        } finally {
          const took = performance.now() - started;
          l.latencyMs = l.latencyMs === 0 ? took : l.latencyMs * (1 - ALPHA) + took * ALPHA;
          l.lastUsed = Date.now();
        }
      });
      return result ? result.value : null;
    },
    /** Unknown endpoints count as fast; the caller bounds how much it bets on that. */
    isFast(key: string, maxLatencyMs: number): boolean {
      const l = lanes.get(key);
      return !l || (l.latencyMs <= maxLatencyMs && l.queue.pending < opts.concurrency);
    },
    close: () => clearInterval(sweep),
  };
}
