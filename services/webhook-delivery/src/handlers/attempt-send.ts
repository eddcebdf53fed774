/** One attempt on the wire: the body signed with the webhook's secret(s), then POSTed under its own span. */
import { getTracer, SpanKind, SpanStatusCode, withSpan, type Attributes } from '@wahooks/telemetry';
import type { AttemptTarget } from '../adapters/deliveries-repo.js';
import type { HttpSender, SendResult } from '../adapters/http-sender.js';
import { signedHeaders } from '../domain/sign.js';

// Looked up per use: a tracer taken at import time stays a no-op when a test registers its provider later.
const tracer = () => getTracer('webhook-delivery');

/**
 * HTTP client semantic conventions for the receiver, without the URL itself: its path and query may hold the
 * customer's secrets (`?token=…`), and userinfo always does. Host, port and scheme only.
 */
function serverAttributes(url: string): Attributes {
  try {
    const u = new URL(url);
    const scheme = u.protocol.replace(/:$/, '');
    return {
      'server.address': u.hostname,
      'server.port': u.port ? Number(u.port) : scheme === 'https' ? 443 : 80,
      'url.scheme': scheme,
    };
  } catch {
    return {}; // the sender answers INVALID_URL
  }
}

/** Attempt `a` of delivery `t`; never throws for the receiver's failures (they are in the result). */
export async function sendAttempt(sender: HttpSender, t: AttemptTarget, a: number): Promise<SendResult> {
  const headers = signedHeaders({
    eventType: t.event_type,
    msgId: t.event_id,
    body: t.body,
    secret: t.signing_secret,
    previousSecret: t.previous_secret,
  });
  // One CLIENT span `POST` per attempt, child of the consumer span that runs it. Made by hand: outgoing HTTP is
  // not instrumented, so no traceparent reaches customers' receivers.
  return withSpan(
    tracer(),
    'POST',
    async (span) => {
      if (span.isRecording()) span.setAttributes(serverAttributes(t.url));
      const r = await sender.send(t.url, headers, t.body);
      if (r.statusCode !== null) span.setAttribute('http.response.status_code', r.statusCode);
      if (!r.ok) {
        // error.type: the status code, or the transport failure's code (TIMEOUT, ECONNREFUSED, BLOCKED_ADDRESS)
        span.setAttribute('error.type', r.statusCode !== null ? String(r.statusCode) : r.error.split(/[:\s]/, 1)[0]!);
        span.setStatus({ code: SpanStatusCode.ERROR }); // this attempt failed (it may be retried)
      }
      return r;
    },
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'POST',
        'wahooks.delivery.id': t.id,
        'wahooks.webhook.id': t.webhook_id,
        'wahooks.attempt': a,
      },
    },
  );
}
