/**
 * Whether an error means "Postgres cannot be reached right now" rather than a bug: such failures become a 503
 * (with Retry-After) for the caller instead of a 500, so the gateway reports an outage, not a crash.
 */
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.driverError && e.driverError !== err && isDatabaseUnavailable(e.driverError)) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  // SQLSTATE class 08 = connection exception; 57P01-57P03 = admin/crash shutdown, cannot connect now;
  // 53300 = too many connections.
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300' || NODE_CODES.has(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
