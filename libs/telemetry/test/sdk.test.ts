import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { getTracer, startTelemetry, withSpan } from '@wahooks/telemetry';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_SDK_DISABLED'] as const) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** A stand-in OTLP/HTTP collector that counts what it receives. */
async function fakeCollector(port = 0) {
  const received: { url: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString('latin1') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('startTelemetry', () => {
  /** Runs `fn` with stdout/stderr captured; returns what was written. */
  async function captured(fn: () => Promise<void>): Promise<string[]> {
    const writes: string[] = [];
    const origOut = process.stdout.write.bind(process.stdout);
    const origErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((c: string | Uint8Array) => (writes.push(String(c)), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: string | Uint8Array) => (writes.push(String(c)), true)) as typeof process.stderr.write;
    try {
      await fn();
    } finally {
      process.stdout.write = origOut;
      process.stderr.write = origErr;
    }
    return writes;
  }

  /** The OTLP default port's trap (when it could listen there) received nothing. */
  async function expectNothingSent(trap: Awaited<ReturnType<typeof fakeCollector>> | undefined): Promise<void> {
    if (!trap) return;
    await new Promise((r) => setTimeout(r, 200));
    expect(trap.received).toEqual([]);
    await trap.close();
  }

  it('without an endpoint: off (no spans, no trace ids, no network), silently', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete process.env.OTEL_SDK_DISABLED;
    const trap = await fakeCollector(4318).catch(() => undefined);
    const writes = await captured(async () => {
      const t = startTelemetry({ service: 'off-svc' });
      expect(t.exporting).toBe(false);
      expect(t.tracing).toBe(false);
      await withSpan(getTracer('test'), 'op', async (span) => {
        expect(span.isRecording()).toBe(false);
        expect(span.spanContext().traceId).toBe('0'.repeat(32)); // the API's no-op span: nothing started
      });
      await t.shutdown();
    });
    expect(writes).toEqual([]);
    await expectNothingSent(trap);
  });

  it('OTEL_SDK_DISABLED=false without an endpoint: real trace ids, nothing exported, silent', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    process.env.OTEL_SDK_DISABLED = 'false';
    // Listen where the OTLP default (localhost:4318) would send, when that port is free on this machine.
    const trap = await fakeCollector(4318).catch(() => undefined);
    const writes = await captured(async () => {
      const t = startTelemetry({ service: 'silent-svc', version: '1.2.3' });
      expect(t.exporting).toBe(false);
      expect(t.tracing).toBe(true);
      expect(startTelemetry({ service: 'other' })).toBe(t); // once per process
      let traceId = '';
      await withSpan(getTracer('test'), 'op', async (span) => {
        traceId = span.spanContext().traceId;
      });
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe('0'.repeat(32));
      await t.shutdown();
      await t.shutdown();
    });
    expect(writes).toEqual([]);
    await expectNothingSent(trap);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('OTEL_SDK_DISABLED=true: off even with an endpoint', async () => {
    const collector = await fakeCollector();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_SDK_DISABLED = 'true';
    try {
      const t = startTelemetry({ service: 'disabled-svc' });
      expect(t.exporting).toBe(false);
      expect(t.tracing).toBe(false);
      await withSpan(getTracer('test'), 'not-exported', async () => undefined);
      await t.shutdown();
      await new Promise((r) => setTimeout(r, 200));
      expect(collector.received).toEqual([]);
    } finally {
      await collector.close();
    }
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT: spans are exported over OTLP/HTTP with the service name', async () => {
    const collector = await fakeCollector();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    const memory = new InMemorySpanExporter();
    const t = startTelemetry({ service: 'exporting-svc', spanProcessors: [new SimpleSpanProcessor(memory)] });
    try {
      expect(t.exporting).toBe(true);
      await withSpan(getTracer('test'), 'exported-op', async () => undefined);
      await t.flush(); // resource detection makes the first export asynchronous
      expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['exported-op']);
    } finally {
      await t.shutdown(); // flushes the batch processor
      await collector.close();
    }
    const traces = collector.received.filter((r) => r.url === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces.some((r) => r.body.includes('exported-op') && r.body.includes('exporting-svc'))).toBe(true);
    expect(collector.received.filter((r) => r.url !== '/v1/traces')).toEqual([]); // no metrics or logs
  });
});
