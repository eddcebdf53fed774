/** Small helpers for code that creates its own spans (broker publish/consume, RPC handlers, jobs). */
import { SpanStatusCode, trace, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';

/** The tracer for one of our packages; a no-op tracer until startTelemetry/createTestTracing registered one. */
export const getTracer = (name: string): Tracer => trace.getTracer(name.startsWith('@') ? name : `@wahooks/${name}`);

/**
 * Runs `fn` inside a new active span; the span ends when `fn` settles and records the error if it throws.
 * Logs written inside carry the span's trace id.
 */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: SpanOptions = {},
): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
