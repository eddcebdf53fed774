/**
 * The retry ladder. `schedule[i]` is the wait after attempt i+1 of a series, so a schedule of n waits means
 * n+1 attempts (default 5s,10s,20s,40s = the original's 5 attempts). Each wait is served by a RabbitMQ delay
 * queue with a fixed queue-level TTL (per-message TTLs would block each other at the head of one queue), so
 * jitter and Retry-After pick among a few fixed "buckets" per step instead of arbitrary values:
 *   d·(1−j), d·(1−j/2), d, d·(1+j/2), d·(1+j)  chosen at random (jitter j, e.g. 0.2)
 *   2·d                                        only for a Retry-After asking for more than d (Svix: [d, 2d])
 * Five buckets spread a retry storm over five instants per step; each is one queue (six per step in all).
 */
export interface RetryPolicy {
  schedule: number[]; // ms
  jitter: number; // 0..0.5
}

const bucketsOf = (d: number, jitter: number): number[] => {
  const b = jitter > 0 ? [-1, -0.5, 0, 0.5, 1].map((k) => Math.round(d * (1 + k * jitter))) : [d];
  return [...new Set([...b, 2 * d])].sort((x, y) => x - y);
};

/** Every distinct delay-queue TTL the policy can use (declared at start). */
export function delayBuckets(policy: RetryPolicy): number[] {
  const all = policy.schedule.flatMap((d) => bucketsOf(d, policy.jitter));
  return [...new Set(all)].sort((x, y) => x - y);
}

/** Attempts in one series (first try + one per wait). */
export const maxAttempts = (policy: RetryPolicy): number => policy.schedule.length + 1;

/**
 * The wait before the next attempt after `attemptsInSeries` attempts failed, or null when the ladder is
 * exhausted (the delivery is parked). `retryAfterMs` is the receiver's Retry-After, if any.
 */
export function nextDelay(
  policy: RetryPolicy,
  attemptsInSeries: number,
  retryAfterMs?: number | null,
  random: () => number = Math.random,
): number | null {
  const d = policy.schedule[attemptsInSeries - 1];
  if (d === undefined) return null;
  const buckets = bucketsOf(d, policy.jitter);
  if (retryAfterMs != null && retryAfterMs > d) {
    const target = Math.min(retryAfterMs, 2 * d);
    return buckets.find((b) => b >= target) ?? 2 * d;
  }
  const plain = buckets.filter((b) => b !== 2 * d || buckets.length === 1);
  return plain[Math.floor(random() * plain.length)] ?? d;
}

/** Retry-After as seconds or an HTTP date, in ms from now; null when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
