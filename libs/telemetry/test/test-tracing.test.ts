import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createTestTracing, getTracer, startTelemetry, withSpan, type TestTracing } from '@wahooks/telemetry';

describe('createTestTracing', () => {
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = createTestTracing();
  });
  afterAll(async () => {
    await tracing.shutdown();
  });

  it('records finished spans with their parent through async boundaries', async () => {
    tracing.reset();
    const tracer = getTracer('test');
    await withSpan(tracer, 'parent', async () => {
      await new Promise((r) => setTimeout(r, 5));
      await withSpan(tracer, 'child', async () => undefined, { kind: SpanKind.CONSUMER });
    });
    const spans = tracing.spans();
    expect(spans.map((s) => s.name)).toEqual(['child', 'parent']);
    const [child, parent] = spans;
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('marks a span as failed when the function throws', async () => {
    tracing.reset();
    await expect(withSpan(getTracer('test'), 'boom', () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(tracing.spans()[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'nope' });
  });

  it('registers the W3C propagator so trace context can travel in message headers', async () => {
    tracing.reset();
    const headers: Record<string, string> = {};
    await withSpan(getTracer('test'), 'publish', async () => propagation.inject(context.active(), headers));
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const remote = propagation.extract(context.active(), headers);
    await context.with(remote, () => withSpan(getTracer('test'), 'consume', async () => undefined));
    const [publish, consume] = tracing.spans();
    expect(consume.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(consume.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });

  it('is left alone by startTelemetry (a service started inside the test) and its shutdown', async () => {
    tracing.reset();
    const service = startTelemetry({ service: 'in-test' });
    expect(service.exporting).toBe(false);
    await service.shutdown();
    await withSpan(getTracer('test'), 'still-recorded', async () => undefined);
    expect(tracing.spans().map((s) => s.name)).toEqual(['still-recorded']);
  });

  it('can be replaced by a second call in the same file', async () => {
    const second = createTestTracing();
    await withSpan(getTracer('test'), 'again', async () => undefined);
    expect(second.spans().map((s) => s.name)).toEqual(['again']);
    await second.shutdown();
    tracing = createTestTracing();
  });
});
