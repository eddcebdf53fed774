/**
 * The one outbound HTTP client: a single `got.extend` instance with keep-alive agents, no in-process retries,
 * no redirects followed, a deadline per attempt, and the answer's body read only up to a cap. DNS goes through
 * the SSRF guard's lookup, so a name re-pointed at a private address after creation is refused at connect time.
 */
import http from 'node:http';
import https from 'node:https';
import got from 'got';
import type { SsrfGuard } from '@wahooks/outbound-http';
import { USER_AGENT } from '../domain/sign.js';

/** An expected outcome, not an exception. */
export type SendResult =
  | { ok: true; statusCode: number; durationMs: number; body: string; retryAfter?: string }
  | {
      ok: false;
      statusCode: number | null; // null: no HTTP answer
      durationMs: number;
      error: string; // "HTTP 500", "TIMEOUT", "BLOCKED_ADDRESS: … (refused: loopback)", "ECONNREFUSED", …
      body: string | null;
      retryAfter?: string;
    };

export interface HttpSenderOptions {
  timeoutMs: number;
  bodyLimit: number; // bytes of the answer kept
  guard: SsrfGuard;
  maxSockets?: number; // per origin
}

const noNul = (s: string) => s.replaceAll('\u0000', '\uFFFD');

/** Bytes read from an answer before the socket is dropped (beyond the kept part, read only to reuse the socket). */
const DRAIN_LIMIT = 64 * 1024;

export function createHttpSender(opts: HttpSenderOptions) {
  const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, scheduling: 'lifo' as const };
  const agent = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const client = got.extend({
    agent,
    timeout: { request: opts.timeoutMs },
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
    decompress: false, // a 4 KB peek does not need inflating, and keeps a zip bomb out
    dnsLookup: opts.guard.lookup as never,
    headers: { 'user-agent': USER_AGENT },
  });

  function send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve({ ok: false, statusCode: null, durationMs: 0, error: 'INVALID_URL', body: null });
    }
    const literal = opts.guard.literalCategory(target);
    if (literal) {
      return Promise.resolve({
        ok: false,
        statusCode: null,
        durationMs: 0,
        error: `BLOCKED_ADDRESS: a blocked address (refused: ${literal})`,
        body: null,
      });
    }
    return new Promise((resolve) => {
      let statusCode: number | null = null;
      let retryAfter: string | undefined;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let readBytes = 0;
      let settled = false;
      const finish = (r: SendResult) => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      // Postgres text cannot hold U+0000: one NUL in an answer would fail the whole outcome batch.
      const text = () => noNul(Buffer.concat(kept).toString('utf8'));
      const stream = client.stream.post(target, { body, headers });
      stream.on('response', (res: http.IncomingMessage) => {
        statusCode = res.statusCode ?? null;
        const ra = res.headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
      });
      stream.on('data', (chunk: Buffer) => {
        readBytes += chunk.length;
        if (keptBytes < opts.bodyLimit) {
          const part = chunk.subarray(0, opts.bodyLimit - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        if (readBytes > DRAIN_LIMIT) {
          stream.destroy(); // a huge answer: stop reading, judge by the status we already have
          outcome();
        }
      });
      const outcome = () => {
        const durationMs = elapsed();
        if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
          finish({ ok: true, statusCode, durationMs, body: text(), retryAfter });
        } else {
          finish({ ok: false, statusCode, durationMs, error: `HTTP ${statusCode}`, body: text(), retryAfter });
        }
      };
      stream.on('end', outcome);
      stream.on('error', (err: NodeJS.ErrnoException & { code?: string }) => {
        const durationMs = elapsed();
        const code = err.code ?? err.name;
        const error =
          code === 'ETIMEDOUT' || err.name === 'TimeoutError'
            ? 'TIMEOUT'
            : code === 'EBLOCKED' || /BLOCKED_ADDRESS/.test(err.message)
              ? `BLOCKED_ADDRESS: ${err.message.replace(/^.*BLOCKED_ADDRESS: /, '')}`
              : noNul(`${code}: ${err.message}`.slice(0, 500));
        finish({
          ok: false,
          statusCode: error === 'TIMEOUT' ? null : statusCode,
          durationMs,
          error,
          body: kept.length ? text() : null,
        });
      });
      stream.resume();
    });
  }

  const close = () => {
    agent.http.destroy();
    agent.https.destroy();
  };

  return { send, close };
}
export type HttpSender = ReturnType<typeof createHttpSender>;
