/**
 * W3C trace context in AMQP headers, through the global OpenTelemetry API only (the SDK is wired by
 * libs/telemetry; without it these are no-ops). A producer span per publish/request, a consumer span per
 * handled message whose parent is the context extracted from the message.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { AmqpHeaders } from './headers.js';

const tracer = () => trace.getTracer('wahooks-broker');

const headerGetter: TextMapGetter<AmqpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key];
    if (v === undefined || v === null) return undefined;
    return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  },
};

/** Start a PRODUCER span as a child of the active context and write its context into `headers`. */
export function startProducerSpan(
  name: string,
  headers: AmqpHeaders,
  attributes: Attributes,
): { span: Span; ctx: Context } {
  const span = tracer().startSpan(name, { kind: SpanKind.PRODUCER, attributes }, context.active());
  const ctx = trace.setSpan(context.active(), span);
  propagation.inject(ctx, headers);
  return { span, ctx };
}

/** Run `fn` inside a CONSUMER span whose parent is the trace context carried by the message headers. */
export async function withConsumerSpan<T>(
  name: string,
  headers: AmqpHeaders | undefined,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, headers ?? {}, headerGetter);
  const span = tracer().startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export function failSpan(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

/**
 * Messaging semantic conventions, version 1.26 (the last before `publish` became `send`): span names
 * `publish <exchange>` (PRODUCER) and `process <queue>` (CONSUMER); `messaging.destination.name` is the exchange
 * on the producer side (the queue when publishing through the default exchange, where the routing key is the
 * queue) and the queue on the consumer side. Only names, ids and counts: never a body, header value or secret.
 */
export const publishSpanName = (exchange: string, routingKey: string): string => `publish ${exchange || routingKey}`;
export const processSpanName = (queue: string): string => `process ${queue}`;

export const producerAttributes = (exchange: string, routingKey: string, extra: Attributes = {}): Attributes => ({
  'messaging.system': 'rabbitmq',
  'messaging.destination.name': exchange || routingKey,
  'messaging.operation.type': 'publish',
  'messaging.operation.name': 'publish',
  'messaging.rabbitmq.destination.routing_key': routingKey,
  ...extra,
});

export const consumerAttributes = (queue: string, routingKey: string, extra: Attributes = {}): Attributes => ({
  'messaging.system': 'rabbitmq',
  'messaging.destination.name': queue,
  'messaging.operation.type': 'process',
  'messaging.operation.name': 'process',
  'messaging.rabbitmq.destination.routing_key': routingKey,
  ...extra,
});
