// Load loops shared by both halves of bench/send.mjs (the bare Baileys ceiling and the service path), so both
// are driven and measured the same way. `send(client, n)` performs one send and resolves when it is done.

/** Percentile q (0..1) of sorted numbers, ms with one decimal. */
export function percentile(sorted, q) {
  if (!sorted.length) return null;
  return Math.round(10 * sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) / 10;
}

function summary(latencies, failed, errors, elapsedS) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    sent: latencies.length,
    failed,
    seconds: Number(elapsedS.toFixed(2)),
    perSecond: Math.round(latencies.length / elapsedS),
    latencyMs: {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: percentile(sorted, 1),
    },
    errors: [...errors.entries()].slice(0, 3).map(([message, count]) => ({ message, count })),
  };
}

function recorder() {
  const latencies = [];
  const errors = new Map();
  let failed = 0;
  return {
    latencies,
    errors,
    get failed() {
      return failed;
    },
    async time(fn) {
      const t = performance.now();
      try {
        await fn();
        latencies.push(performance.now() - t);
      } catch (error) {
        failed++;
        const message = String(error?.message ?? error).slice(0, 160);
        errors.set(message, (errors.get(message) ?? 0) + 1);
      }
    },
  };
}

/** Closed loop: `clients` callers, each sending one message after another, for `seconds`: the ceiling. */
export async function runClosedLoop(send, { clients, seconds }) {
  const r = recorder();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let n = 0; performance.now() < end; n++) await r.time(() => send(client, n));
    }),
  );
  return summary(r.latencies, r.failed, r.errors, (performance.now() - t0) / 1000);
}

/**
 * Open loop: `rate` sends per second in all, started on schedule whether or not earlier ones finished (no
 * coordinated omission), spread round-robin over `clients` targets, for `seconds`; then waits for the last.
 */
export async function runOpenLoop(send, { clients, seconds, rate }) {
  const r = recorder();
  const inflight = new Set();
  const counters = new Array(clients).fill(0);
  const t0 = performance.now();
  let started = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; started < due; started++) {
      const client = started % clients;
      const p = r.time(() => send(client, counters[client]++)).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - t0) / 1000;
  return { offeredPerSecond: rate, ...summary(r.latencies, r.failed, r.errors, elapsed) };
}
