/** Small helpers for code that creates its own spans (broker publish/consume, RPC handlers, jobs). */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';

/** Re-exported so services need no direct @opentelemetry/api dependency for span kinds. */
export { SpanKind, SpanStatusCode } from '@opentelemetry/api';
export type { Span, Attributes } from '@opentelemetry/api';

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

/**
 * The W3C `traceparent` of `ctx` (default: the active context), to store next to work that continues later (an
 * outbox row); undefined when nothing is traced (no SDK, or no span), so an untraced write stores NULL.
 */
export function currentTraceParent(ctx: Context = context.active()): string | undefined {
  if (!trace.getSpan(ctx)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a stored `traceparent` stands for (the root context when there is none). */
export function contextFromTraceParent(traceParent: string | null | undefined): Context {
  if (!traceParent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent: traceParent });
}

/** Records `err` on `span` and marks it failed (the span is not ended). */
export function failSpan(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

/** Runs `fn` in the context a stored `traceparent` stands for, so its spans continue that trace. */
export function withTraceParent<T>(traceParent: string | null | undefined, fn: () => T): T {
  return traceParent ? context.with(contextFromTraceParent(traceParent), fn) : fn();
}

/** The W3C traceparent of `span` (undefined when nothing is traced). */
export const spanTraceParent = (span: Span): string | undefined =>
  currentTraceParent(trace.setSpan(context.active(), span));
