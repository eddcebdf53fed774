/** The OTLP protocol variables pick the exporter; an unknown one fails the start instead of dropping spans. */
import { describe, expect, it } from '@jest/globals';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { createOtlpExporter, otlpProtocol } from '../src/otlp-exporter.js';

describe('otlpProtocol / createOtlpExporter', () => {
  it('defaults to http/protobuf, the specification default', () => {
    expect(otlpProtocol({})).toBe('http/protobuf');
    expect(createOtlpExporter({})).toBeInstanceOf(ProtobufExporter);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL picks http/json or grpc; the traces-specific variable wins', () => {
    expect(createOtlpExporter({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeInstanceOf(JsonExporter);
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: ' GRPC ' })).toBe('grpc');
    expect(createOtlpExporter({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).constructor.name).toBe('OTLPTraceExporter');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toBe(
      'http/json',
    );
  });

  it('an unknown protocol throws, naming the variable and the choices', () => {
    expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL "http/xml" is not supported: use one of http/protobuf, http/json, grpc',
    );
  });
});
