/**
 * OpenTelemetry NodeSDK for one service process, started only when there is somewhere to send spans:
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, or span processors passed in (tests).
 * Then every hop is traced (HTTP → publish → consume → reply), spans go over OTLP (otlp-exporter.ts picks
 * http/protobuf, http/json or grpc from OTEL_EXPORTER_OTLP_PROTOCOL), and log lines written
 * inside a span carry its trace_id and span_id.
 *
 * Without a destination nothing is started: no spans, no context propagation, no trace ids in logs, no network.
 * Context propagation is what costs: on Node 20 it runs an async hook on every promise, and measured here it was
 * a fifth of the gateway's CPU per request (bench/api-auth) for trace ids nobody collects.
 * OTEL_SDK_DISABLED=false keeps unsampled trace ids in logs and AMQP headers without exporting anything;
 * OTEL_SDK_DISABLED=true turns everything off even with an endpoint.
 * Metrics and OTel logs are off unless OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER say otherwise.
 *
 * In ESM, express is only instrumented when the import hook is registered before express is imported: start
 * services with `node --import @wahooks/telemetry/register dist/main.js` (see register.ts).
 */
import { context, propagation, ProxyTracerProvider, trace } from '@opentelemetry/api';
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
import { createOtlpExporter } from './otlp-exporter.js';

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
  /** True when the SDK runs (spans exist, trace context propagates, logs carry trace ids). */
  readonly tracing: boolean;
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

const passive: TelemetryHandle = {
  exporting: false,
  tracing: false,
  flush: async () => undefined,
  shutdown: async () => undefined,
};

/** OTEL_SDK_DISABLED as a tri-state: true, false, or unset (undefined). */
function sdkDisabledSetting(): boolean | undefined {
  const v = process.env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` as sets of names. */
const listSetting = (name: string): Set<string> =>
  new Set(
    (process.env[name] ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean),
  );

/**
 * Incoming http (the server span of a request) by default; express (a span per middleware layer, about a third of
 * the gateway's CPU per request, and the route is named by the gateway anyway) only when
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS lists it. OTEL_NODE_DISABLED_INSTRUMENTATIONS=http drops the http one too.
 */
function defaultInstrumentations(): Instrumentation[] {
  const enabled = listSetting('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = listSetting('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  const wanted = (name: string, byDefault: boolean) =>
    !disabled.has(name) && (enabled.size === 0 ? byDefault : enabled.has(name));
  const list: Instrumentation[] = [];
  if (wanted('http', true)) list.push(new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true }));
  if (wanted('express', false)) list.push(new ExpressInstrumentation());
  return list;
}

/**
 * Starts the SDK once per process; later calls return the running handle (register.ts may have started it).
 * When another tracer provider is registered already (a test's createTestTracing), it leaves that one alone and
 * returns a handle whose shutdown does nothing.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (active) return active;
  if (providerRegistered()) return { ...passive, tracing: true }; // someone else's provider (a test's) traces
  // NodeSDK reads these in its constructor and would otherwise default to OTLP on localhost:4318.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';

  const disabled = sdkDisabledSetting();
  const exporting = disabled !== true && otlpEndpoint() !== '';
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  // Throws on an unknown OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: a typo must not silently drop every span.
  if (exporting) spanProcessors.push(new BatchSpanProcessor(createOtlpExporter()));
  // Nowhere to send spans and not asked for trace ids alone: stay off (see the header).
  if (disabled === true || (spanProcessors.length === 0 && disabled !== false)) return passive;
  // NodeSDK registers no tracer provider without a processor; a no-op one keeps real trace ids without export.
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());

  // OTEL_SDK_DISABLED=false without an exporter: spans are created unsampled (non-recording). They still carry real
  // trace ids into logs and AMQP headers, but cost a fraction of a recorded span, and the http/express patches
  // (about a third of the gateway's CPU per request) are left out. OTEL_TRACES_SAMPLER still wins when set.
  const recording = exporting || spanProcessors.some((p) => !(p instanceof NoopSpanProcessor));
  const sampler: Sampler | undefined =
    recording || process.env.OTEL_TRACES_SAMPLER ? undefined : new ParentBasedSampler({ root: new AlwaysOffSampler() });
  // Outgoing HTTP is never instrumented: every outbound request of ours goes to someone else (customers' webhooks
  // and media URLs, WhatsApp's media hosts, Stripe, the JWKS) and must not carry traceparent/tracestate/baggage
  // (our trace ids, and whatever baggage says). Services talk to each other over RabbitMQ, traced there.
  const instrumentations = options.instrumentations ?? (recording ? defaultInstrumentations() : []);
  const version = options.version ?? process.env.SERVICE_VERSION ?? process.env.npm_package_version;
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME?.trim() || options.service, // the standard variable wins
    resource: version ? defaultResource().merge(resourceFromAttributes({ 'service.version': version })) : undefined,
    spanProcessors,
    instrumentations,
    sampler,
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    exporting,
    tracing: true,
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
