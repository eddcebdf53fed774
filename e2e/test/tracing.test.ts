/** One API call is one trace: gateway request span → broker producer span → token service consumer span. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { createTestTracing, type TestTracing } from '@wahooks/telemetry';
import { call, startStack, waitFor, type Stack } from './support.js';

let tracing: TestTracing;
let stack: Stack;

beforeAll(async () => {
  tracing = createTestTracing();
  stack = await startStack('e2e_tracing');
});

afterAll(async () => {
  await stack?.close();
  await tracing?.shutdown();
});

const parentOf = (span: unknown): string | undefined =>
  (span as { parentSpanContext?: { spanId: string }; parentSpanId?: string }).parentSpanContext?.spanId ??
  (span as { parentSpanId?: string }).parentSpanId;

describe('tracing across HTTP → RabbitMQ → token service', () => {
  it("the gateway's request span is the ancestor of the token service's consumer span, in one trace", async () => {
    const jwt = await stack.jwks.sign({ sub: randomUUID() });
    expect((await call(stack.gateways[0]!.url, 'GET', '/api/me', { token: jwt })).status).toBe(200); // user upserted
    tracing.reset();
    const r = await call(stack.gateways[0]!.url, 'GET', '/api/tokens', { token: jwt });
    expect(r.status).toBe(200);

    await waitFor(() => tracing.spans().some((s) => s.kind === SpanKind.SERVER && s.name === 'GET /api/tokens'), 2000);
    const spans = tracing.spans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'GET /api/tokens')!;
    const traceId = server.spanContext().traceId;
    const list = (s: (typeof spans)[number]) =>
      s.attributes['messaging.rabbitmq.destination.routing_key'] === 'token.token.list';
    const producer = spans.find((s) => s.kind === SpanKind.PRODUCER && list(s))!;
    expect(producer).toBeDefined();
    expect(producer.spanContext().traceId).toBe(traceId);
    expect(parentOf(producer)).toBe(server.spanContext().spanId);
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER && list(s))!;
    expect(consumer).toBeDefined();
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
  });
});
