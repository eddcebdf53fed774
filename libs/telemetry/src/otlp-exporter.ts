/**
 * The OTLP span exporter the standard variables ask for. OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else
 * OTEL_EXPORTER_OTLP_PROTOCOL, else `http/protobuf` (the specification's default):
 *   - `http/protobuf` → POST <endpoint>/v1/traces, protobuf body (@opentelemetry/exporter-trace-otlp-proto)
 *   - `http/json`     → POST <endpoint>/v1/traces, JSON body (@opentelemetry/exporter-trace-otlp-http)
 *   - `grpc`          → the collector's gRPC port, usually 4317 (@opentelemetry/exporter-trace-otlp-grpc)
 * Every exporter reads OTEL_EXPORTER_OTLP_ENDPOINT / _TRACES_ENDPOINT, _HEADERS / _TRACES_HEADERS, _TIMEOUT and
 * _COMPRESSION itself. An unknown protocol throws: a typo must fail the start, not drop every span silently.
 * The grpc exporter (and @grpc/grpc-js behind it) is loaded only when asked for.
 */
import { createRequire } from 'node:module';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

const require = createRequire(import.meta.url);

/** The protocol the environment asks for; throws on a value this build cannot export with. */
export function otlpProtocol(env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  const raw = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || '')
    .toLowerCase()
    .replace(/^$/, 'http/protobuf');
  if ((OTLP_PROTOCOLS as readonly string[]).includes(raw)) return raw as OtlpProtocol;
  throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL "${raw}" is not supported: use one of ${OTLP_PROTOCOLS.join(', ')}`);
}

export function createOtlpExporter(env: NodeJS.ProcessEnv = process.env): SpanExporter {
  const protocol = otlpProtocol(env);
  if (protocol === 'http/json') return new JsonExporter();
  if (protocol === 'http/protobuf') return new ProtobufExporter();
  const grpc = require('@opentelemetry/exporter-trace-otlp-grpc') as { OTLPTraceExporter: new () => SpanExporter };
  return new grpc.OTLPTraceExporter();
}
