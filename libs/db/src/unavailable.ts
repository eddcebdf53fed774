/**
 * Telling "Postgres cannot be reached right now" from a bug, and waiting such an outage out. A command handler
 * turns the first into a 503 with Retry-After (not a 500); a write that must not be lost (a session's events,
 * its Signal keys, a delivery outcome) retries it with backoff until the database answers again, instead of
 * giving up after a few tries: a failover, a restart or a terminated backend must cost time, never data.
 */

/** Node socket errors of a connection that could not be made or was lost. */
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** pg's own messages for a connection that went away (they carry no SQLSTATE). */
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.driverError && e.driverError !== err && isDatabaseUnavailable(e.driverError)) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  // SQLSTATE class 08 = connection exception; 57P01-57P03 = admin/crash shutdown (pg_terminate_backend is
  // 57P01), cannot connect now; 53300 = too many connections.
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300' || NODE_CODES.has(code)) return true;
  return LOST_CONNECTION.test(typeof e.message === 'string' ? e.message : '');
}

export interface RetryWhileUnavailableOptions {
  /** Stop retrying (the last error is thrown) once this says so, e.g. the session was closed. */
  cancelled?: () => boolean;
  /** First wait in ms (default 100), doubled per failure up to `maxDelayMs` (default 5000), ±20 % jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Each failure that will be retried: for logging (say it once in a while, not every time). */
  onRetry?: (err: unknown, failures: number, delayMs: number) => void;
}

/**
 * Runs `work` until it succeeds. An error that is not an outage (`isDatabaseUnavailable`) is thrown at once:
 * retrying a bug or a constraint violation would only hide it. No attempt limit: the caller decides how long
 * it may wait, through `cancelled`; meanwhile whatever waits on the result waits too (back-pressure).
 */
export async function retryWhileUnavailable<T>(
  work: () => Promise<T>,
  options: RetryWhileUnavailableOptions = {},
): Promise<T> {
  const base = options.baseDelayMs ?? 100;
  const max = Math.max(options.maxDelayMs ?? 5000, base);
  for (let failures = 1; ; failures++) {
    try {
      return await work();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || options.cancelled?.()) throw err;
      const delayMs = Math.round(Math.min(base * 2 ** Math.min(failures - 1, 20), max) * (0.8 + Math.random() * 0.4));
      options.onRetry?.(err, failures, delayMs);
      await new Promise((r) => setTimeout(r, delayMs));
      if (options.cancelled?.()) throw err;
    }
  }
}
