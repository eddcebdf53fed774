/** The OTLP protocol variables pick the exporter; an unknown one fails the start instead of dropping spans. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

  it('the register preload stops the process with one line naming the variable (needs `npx tsc -b`)', () => {
    const register = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/register.js'));
    const run = spawnSync(process.execPath, ['--import', register.href, '-e', 'console.log("started")'], {
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(
      'telemetry: OTEL_EXPORTER_OTLP_PROTOCOL "thrift" is not supported: use one of http/protobuf, http/json, grpc',
    );
  });
});
