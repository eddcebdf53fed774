/** One attempt on the wire: the body signed with the webhook's secret(s), then POSTed under its own span. */
import { getTracer, withSpan } from '@wahooks/telemetry';
import type { AttemptTarget } from '../adapters/deliveries-repo.js';
import type { HttpSender, SendResult } from '../adapters/http-sender.js';
import { signedHeaders } from '../domain/sign.js';

const tracer = getTracer('webhook-delivery');

/** Attempt `a` of delivery `t`; never throws for the receiver's failures (they are in the result). */
export async function sendAttempt(sender: HttpSender, t: AttemptTarget, a: number): Promise<SendResult> {
  const headers = signedHeaders({
    eventType: t.event_type,
    msgId: t.event_id,
    body: t.body,
    secret: t.signing_secret,
    previousSecret: t.previous_secret,
  });
  // One CLIENT span per POST, child of the consumer span (no traceparent is sent to customers' receivers).
  return withSpan(
    tracer,
    'webhook attempt',
    async (span) => {
      const r = await sender.send(t.url, headers, t.body);
      span.setAttributes({
        'http.response.status_code': r.statusCode ?? 0,
        'wahooks.outcome': r.ok ? 'ok' : r.error.slice(0, 40),
      });
      return r;
    },
    {
      kind: 2, // SpanKind.CLIENT (@opentelemetry/api is not a direct dependency of this package)
      attributes: {
        'wahooks.delivery.id': t.id,
        'wahooks.webhook.id': t.webhook_id,
        'wahooks.attempt': a,
        'http.request.method': 'POST',
      },
    },
  );
}
