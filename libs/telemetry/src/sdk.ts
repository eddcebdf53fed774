/**
 * OpenTelemetry NodeSDK for one service process. Traces go over OTLP/HTTP only when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; otherwise spans are created
 * unsampled (trace ids still reach logs and travel in AMQP headers), nothing is recorded and nothing touches the
 * network.
 * Metrics and OTel logs are off unless OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER say otherwise.
 *
 * In ESM, express is only instrumented when the import hook is registered before express is imported: start
 * services with `node --import @wahooks/telemetry/register dist/main.js` (see register.ts).
 */
import { context, propagation, ProxyTracerProvider, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

export interface TelemetryOptions {
  /** service.name on every span (e.g. "gateway"). */
  service: string;
  /** service.version; defaults to SERVICE_VERSION or the package version npm reports. */
  version?: string;
  /** Extra processors (e.g. an in-memory exporter in a test); added next to the OTLP one. */
  spanProcessors?: SpanProcessor[];
  /** Replaces the default http + express instrumentations. */
  instrumentations?: Instrumentation[];
}

export interface TelemetryHandle {
  /** True when spans are exported over OTLP. */
  readonly exporting: boolean;
  /** Exports every span that has ended so far (tests; before a risky operation). */
  flush(): Promise<void>;
  /** Flushes pending spans and unregisters the SDK. Safe to call twice. */
  shutdown(): Promise<void>;
}

let active: TelemetryHandle | undefined;

const otlpEndpoint = () =>
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || '';

/** True when some tracer provider is registered already (e.g. createTestTracing in a test file). */
function providerRegistered(): boolean {
  const noop = new ProxyTracerProvider().getDelegate();
  const current = trace.getTracerProvider();
  return current instanceof ProxyTracerProvider ? current.getDelegate() !== noop : true;
}

const passive: TelemetryHandle = { exporting: false, flush: async () => undefined, shutdown: async () => undefined };

/**
 * Starts the SDK once per process; later calls return the running handle (register.ts may have started it).
 * When another tracer provider is registered already (a test's createTestTracing), it leaves that one alone and
 * returns a handle whose shutdown does nothing.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (active) return active;
  if (providerRegistered()) return passive;
  // NodeSDK reads these in its constructor and would otherwise default to OTLP on localhost:4318.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';

  const exporting = otlpEndpoint() !== '';
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (exporting) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  // NodeSDK registers no tracer provider without a processor; a no-op one keeps real trace ids without export.
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());

  // Nothing to export to: spans are created unsampled (non-recording). They still carry real trace ids into logs
  // and AMQP headers, but cost a fraction of a recorded span, and the http/express patches (about a third of the
  // gateway's CPU per request) are left out. OTEL_TRACES_SAMPLER still wins when set.
  const recording = exporting || spanProcessors.some((p) => !(p instanceof NoopSpanProcessor));
  const sampler: Sampler | undefined =
    recording || process.env.OTEL_TRACES_SAMPLER ? undefined : new ParentBasedSampler({ root: new AlwaysOffSampler() });
  const instrumentations =
    options.instrumentations ?? (recording ? [new HttpInstrumentation(), new ExpressInstrumentation()] : []);
  const version = options.version ?? process.env.SERVICE_VERSION ?? process.env.npm_package_version;
  const sdk = new NodeSDK({
    serviceName: options.service,
    resource: version ? defaultResource().merge(resourceFromAttributes({ 'service.version': version })) : undefined,
    spanProcessors,
    instrumentations,
    sampler,
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    exporting,
    async flush() {
      await Promise.all(spanProcessors.map((p) => p.forceFlush()));
    },
    shutdown() {
      stopping ??= sdk
        .shutdown()
        .catch(() => undefined) // an unreachable collector must not block a graceful stop
        .finally(() => {
          for (const i of instrumentations) i.disable();
          trace.disable();
          context.disable();
          propagation.disable();
          if (active === handle) active = undefined;
        });
      return stopping;
    },
  };
  active = handle;
  return handle;
}

/** Shuts down the SDK started by startTelemetry or the register entry, if any (call it last in a drain). */
export async function shutdownTelemetry(): Promise<void> {
  await active?.shutdown();
}
