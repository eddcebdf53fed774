/**
 * GET one customer-supplied URL into memory, bounded every way a hostile or broken server could hurt us: a
 * connect deadline and a whole-request deadline, at most `maxRedirects` redirects (each target checked again),
 * a byte cap (Content-Length refused up front, the body counted as it arrives), a content-type check before the
 * body is read, and the SSRF guard on every hop: IP literals before connecting, names through the guard's DNS
 * hook (the address actually connected to), and the socket's remote address once the answer arrives.
 *
 * Failures are values (`{ok:false, reason}`), not exceptions: the caller maps each reason to its HTTP answer.
 */
import type { IncomingMessage } from 'node:http';
import got from 'got';
import { blockedCategory, blockedUrlMessage, type SsrfGuard } from './ssrf-guard.js';

export type FetchFailureReason =
  | 'INVALID_URL' // not an absolute http(s) URL
  | 'BLOCKED_ADDRESS' // loopback, private, link-local or metadata address (first hop or a redirect)
  | 'TIMEOUT' // connect or whole-request deadline passed
  | 'TOO_LARGE' // more than maxBytes (Content-Length or counted)
  | 'HTTP_STATUS' // a final answer that is not 2xx
  | 'CONTENT_TYPE' // refused by acceptContentType
  | 'TOO_MANY_REDIRECTS'
  | 'UNREACHABLE'; // DNS failure, refused, reset, TLS error, …

export type FetchResult =
  | { ok: true; body: Buffer; contentType: string | undefined; url: string }
  | { ok: false; reason: FetchFailureReason; message: string; statusCode?: number; contentType?: string };

export interface BoundedFetcherOptions {
  guard: SsrfGuard;
  /** ms to resolve the name and establish TCP (and TLS). */
  connectTimeoutMs: number;
  /** ms for the whole request, redirects and body included. */
  timeoutMs: number;
  /** Redirects followed (each one checked like the first URL); default 3. */
  maxRedirects?: number;
  userAgent?: string;
}

export interface FetchOptions {
  /** Bytes of body accepted; one more fails the fetch with TOO_LARGE. */
  maxBytes: number;
  /** Judges the final answer's media type (lower-case, parameters removed; undefined when absent). */
  acceptContentType?: (contentType: string | undefined) => boolean;
}

const blockedError = (what: string) => Object.assign(new Error(`BLOCKED_ADDRESS: ${what}`), { code: 'EBLOCKED' });

/** `image/png; charset=x` → `image/png`. */
export const mediaTypeOf = (header: string | undefined): string | undefined =>
  header?.split(';')[0]?.trim().toLowerCase() || undefined;

export function createBoundedFetcher(opts: BoundedFetcherOptions) {
  const { guard } = opts;
  const client = got.extend({
    timeout: {
      lookup: opts.connectTimeoutMs,
      connect: opts.connectTimeoutMs,
      secureConnect: opts.connectTimeoutMs,
      request: opts.timeoutMs,
    },
    retry: { limit: 0 },
    followRedirect: true,
    maxRedirects: opts.maxRedirects ?? 3,
    throwHttpErrors: false,
    dnsLookup: guard.lookup as never,
    headers: { 'user-agent': opts.userAgent ?? 'WAHooks-Media-Fetch/1.0' },
    hooks: {
      beforeRedirect: [
        (options) => {
          // Names are checked by the DNS hook on the next connect; IP literals never reach it.
          const next = options.url instanceof URL ? options.url : new URL(String(options.url));
          if (next.protocol !== 'http:' && next.protocol !== 'https:')
            throw blockedError(`refused: redirect to ${next.protocol}`);
          const category = guard.literalCategory(next);
          if (category) throw blockedError(`refused: ${category}`);
        },
      ],
    },
  });

  function fetch(url: string, options: FetchOptions): Promise<FetchResult> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve({ ok: false, reason: 'INVALID_URL', message: 'url must be an absolute http(s) URL' });
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      return Promise.resolve({ ok: false, reason: 'INVALID_URL', message: 'url must be an absolute http(s) URL' });
    const literal = guard.literalCategory(target);
    if (literal) return Promise.resolve({ ok: false, reason: 'BLOCKED_ADDRESS', message: blockedUrlMessage(literal) });

    return new Promise<FetchResult>((resolve) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      let contentType: string | undefined;
      let finalUrl = target.href;
      const stream = client.stream(target);
      const finish = (result: FetchResult) => {
        if (settled) return;
        settled = true;
        if (!result.ok) stream.destroy();
        resolve(result);
      };

      stream.on('response', (res: IncomingMessage & { url?: string }) => {
        finalUrl = res.url ?? finalUrl;
        const host = new URL(finalUrl).hostname;
        const remote = res.socket?.remoteAddress;
        const category = remote && !guard.isAllowedHost(host) ? blockedCategory(remote) : null;
        if (category) {
          return finish({ ok: false, reason: 'BLOCKED_ADDRESS', message: blockedUrlMessage(category) });
        }
        const status = res.statusCode ?? 0;
        contentType = mediaTypeOf(res.headers['content-type']);
        if (status < 200 || status > 299) {
          return finish({
            ok: false,
            reason: 'HTTP_STATUS',
            statusCode: status,
            message: `url answered HTTP ${status}`,
          });
        }
        const length = Number(res.headers['content-length']);
        if (Number.isFinite(length) && length > options.maxBytes) {
          return finish({ ok: false, reason: 'TOO_LARGE', message: `url body is ${length} bytes` });
        }
        if (options.acceptContentType && !options.acceptContentType(contentType)) {
          return finish({
            ok: false,
            reason: 'CONTENT_TYPE',
            contentType,
            message: `url answered with content type ${contentType ?? '(none)'}`,
          });
        }
      });
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) {
          return finish({ ok: false, reason: 'TOO_LARGE', message: `url body is more than ${options.maxBytes} bytes` });
        }
        chunks.push(chunk);
      });
      stream.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, received), contentType, url: finalUrl }));
      stream.on('error', (err: Error & { code?: string }) => finish(failureOf(err)));
    });
  }

  return { fetch };
}
export type BoundedFetcher = ReturnType<typeof createBoundedFetcher>;

// The refusal names the category (`refused: loopback`), never the address a name resolved to.
const blockedMessage = (what: string) =>
  `url must not point to a loopback, private, link-local or metadata address (${what})`;

function failureOf(err: Error & { code?: string }): FetchResult {
  const code = err.code ?? '';
  if (code === 'EBLOCKED' || err.message.includes('BLOCKED_ADDRESS'))
    return {
      ok: false,
      reason: 'BLOCKED_ADDRESS',
      message: blockedMessage(/\((refused: [^()]*)\)\s*$/.exec(err.message)?.[1] ?? 'refused'),
    };
  if (err.name === 'TimeoutError' || code === 'ETIMEDOUT')
    return { ok: false, reason: 'TIMEOUT', message: 'url did not answer in time' };
  if (err.name === 'MaxRedirectsError' || code === 'ERR_TOO_MANY_REDIRECTS')
    return { ok: false, reason: 'TOO_MANY_REDIRECTS', message: 'url redirected too many times' };
  return { ok: false, reason: 'UNREACHABLE', message: `url could not be fetched (${code || err.message})` };
}
