// A small client of the WAHooks REST API for the demo: JSON in and out, and polite waiting on 503 + Retry-After
// (the gateway's answer while a service or the connection's session is still starting), with a progress note.
import { DemoError, note } from './output.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function apiClient(baseUrl) {
  let token;
  /** One request; resolves with `{status, headers, body}` whatever the status. */
  async function call(method, path, body, { auth = token } = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(40_000),
    });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /**
   * A request that must succeed: 503 (and 429) are retried after their Retry-After (1–5 s) until `waitMs` has
   * passed; any other non-2xx status fails with the API's error message.
   */
  async function request(method, path, body, { waitMs = 60_000, auth } = {}) {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const res = await call(method, path, body, auth === undefined ? undefined : { auth });
      if (res.status >= 200 && res.status < 300) return res;
      const retryable = res.status === 503 || res.status === 429;
      const message = typeof res.body === 'object' && res.body ? res.body.message : res.body;
      if (!retryable || Date.now() > deadline) {
        throw new DemoError(`${method} ${path} answered ${res.status}: ${JSON.stringify(message)}`);
      }
      const retryAfter = Math.min(Math.max(Number(res.headers.get('retry-after')) || 1, 1), 5);
      note(`${method} ${path}: ${res.status} ${message ?? ''} – retrying in ${retryAfter} s`);
      await sleep(retryAfter * 1000);
    }
  }

  return {
    call,
    request,
    setToken(value) {
      token = value;
    },
  };
}

/** Polls `probe` every `everyMs` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitUntil(what, probe, { timeoutMs = 30_000, everyMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new DemoError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export { sleep };
