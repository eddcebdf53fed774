/**
 * A local OTLP/HTTP trace receiver that counts, per service and process, the spans that stand for work done:
 * SERVER spans (an API request the gateway answered) and CONSUMER spans (a command or event a service handled),
 * health pings left out.
 * Point a child at it with OTEL_EXPORTER_OTLP_ENDPOINT=<url> and OTEL_EXPORTER_OTLP_PROTOCOL=http/json; spans carry `service.name` and `process.pid` in
 * their resource, so the count says which replica did the work, from the services' own instrumentation.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** OTLP SpanKind numbers (opentelemetry-proto trace.proto). */
const SERVER = 2;
const CONSUMER = 5;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: { spans?: { name: string; kind: number; attributes?: { key: string; value: OtlpValue }[] }[] }[];
  }[];
}

export interface SpanCounter {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  /** Work spans of `service` per process id. */
  byPid(service: string): Map<number, number>;
  /** Work spans of `service` by process id and span name (for a failure message). */
  names(service: string, pid: number): Record<string, number>;
  /** Export requests that could not be read (should stay 0: otherwise the counts are not the whole story). */
  unreadable(): number;
  close(): Promise<void>;
}

export async function startSpanCounter(): Promise<SpanCounter> {
  const counts = new Map<string, Map<number, Map<string, number>>>(); // service → pid → span name → n
  let unreadable = 0;

  const attribute = (attrs: { key: string; value: OtlpValue }[] | undefined, key: string) => {
    const v = attrs?.find((a) => a.key === key)?.value;
    return v?.stringValue ?? (v?.intValue !== undefined ? String(v.intValue) : undefined);
  };
  const record = (body: OtlpExport) => {
    for (const rs of body.resourceSpans ?? []) {
      const service = attribute(rs.resource?.attributes, 'service.name') ?? '?';
      const pid = Number(attribute(rs.resource?.attributes, 'process.pid') ?? 0);
      const perPid = counts.get(service) ?? new Map<number, Map<string, number>>();
      counts.set(service, perPid);
      const perName = perPid.get(pid) ?? new Map<string, number>();
      perPid.set(pid, perName);
      for (const ss of rs.scopeSpans ?? [])
        for (const span of ss.spans ?? []) {
          if (span.kind !== SERVER && span.kind !== CONSUMER) continue;
          // A consumer span is named after its queue; the routing key says which command or event it was.
          const name = attribute(span.attributes, 'messaging.rabbitmq.destination.routing_key') ?? span.name;
          if (name.endsWith('.health.ping') || name === 'GET /api/health') continue; // liveness, not work
          perName.set(name, (perName.get(name) ?? 0) + 1);
        }
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const raw = Buffer.concat(chunks);
        const bytes = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        record(JSON.parse(bytes.toString('utf8')) as OtlpExport);
      } catch {
        unreadable++; // e.g. protobuf: the children must export JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    byPid(service) {
      const out = new Map<number, number>();
      for (const [pid, names] of counts.get(service) ?? [])
        out.set(
          pid,
          [...names.values()].reduce((a, b) => a + b, 0),
        );
      return out;
    },
    names: (service, pid) => Object.fromEntries(counts.get(service)?.get(pid) ?? []),
    unreadable: () => unreadable,
    close() {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
