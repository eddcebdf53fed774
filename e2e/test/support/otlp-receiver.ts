/**
 * An OTLP/HTTP trace receiver inside the test: `POST /v1/traces` with a JSON body (`http/json`) or a protobuf one
 * (`http/protobuf`, decoded here by a small hand-written reader of the opentelemetry-proto trace messages), gzip
 * or not. Every span is kept flattened with its resource's `service.name`, hex ids, attributes and links, and the
 * encoding it arrived in; every request's headers are kept too (OTEL_EXPORTER_OTLP_HEADERS checks).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  links: { traceId: string; spanId: string }[];
  encoding: 'json' | 'protobuf';
}

export const SpanKinds = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporters append /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  requests: { path: string; contentType: string; headers: http.IncomingHttpHeaders }[];
  /** Bodies that could not be decoded (must stay 0). */
  unreadable(): number;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------ protobuf

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

/** The fields of one protobuf message, in order (wire types 0, 1, 2 and 5; groups are not used by OTLP). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) out.push({ no, wire, fixed: buf.subarray(i, (i += 8)) });
    else if (wire === 5) out.push({ no, wire, fixed: buf.subarray(i, (i += 4)) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(i, (i += len)) });
    } else throw new Error(`unsupported wire type ${wire}`);
    if (i > buf.length) throw new Error('truncated field');
  }
  return out;
}

const sub = (fs: Field[], no: number): Buffer[] => fs.filter((f) => f.no === no && f.bytes).map((f) => f.bytes!);
const str = (fs: Field[], no: number): string => sub(fs, no)[0]?.toString('utf8') ?? '';
const hex = (fs: Field[], no: number): string => sub(fs, no)[0]?.toString('hex') ?? '';

function anyValue(buf: Buffer): AttributeValue {
  const [f] = fields(buf);
  if (!f) return '';
  if (f.no === 1) return f.bytes!.toString('utf8');
  if (f.no === 2) return f.varint !== 0n;
  if (f.no === 3) return Number(BigInt.asIntN(64, f.varint!));
  if (f.no === 4) return f.fixed!.readDoubleLE(0);
  return `<${f.no}>`; // arrays, kvlists, bytes: not used by our spans
}

function keyValues(bufs: Buffer[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const b of bufs) {
    const kv = fields(b);
    const value = sub(kv, 2)[0];
    out[str(kv, 1)] = value ? anyValue(value) : '';
  }
  return out;
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of sub(fields(body), 1)) {
    const rsf = fields(rs);
    const resource = sub(rsf, 1)[0];
    const service = String((resource ? keyValues(sub(fields(resource), 1)) : {})['service.name'] ?? '');
    for (const ss of sub(rsf, 2)) {
      for (const sp of sub(fields(ss), 2)) {
        const f = fields(sp);
        spans.push({
          service,
          traceId: hex(f, 1),
          spanId: hex(f, 2),
          parentSpanId: hex(f, 4),
          name: str(f, 5),
          kind: Number(f.find((x) => x.no === 6)?.varint ?? 0n),
          attributes: keyValues(sub(f, 9)),
          links: sub(f, 13).map((l) => {
            const lf = fields(l);
            return { traceId: hex(lf, 1), spanId: hex(lf, 2) };
          }),
          encoding: 'protobuf',
        });
      }
    }
  }
  return spans;
}

// ------------------------------------------------------------------------------------------------ JSON

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
}
type JsonAttributes = { key: string; value: JsonValue }[] | undefined;
interface JsonExport {
  resourceSpans?: {
    resource?: { attributes?: JsonAttributes };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: JsonAttributes;
        links?: { traceId: string; spanId: string }[];
      }[];
    }[];
  }[];
}

function jsonAttributes(attrs: JsonAttributes): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of attrs ?? []) {
    out[key] =
      value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue ??
      '';
  }
  return out;
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const parsed = JSON.parse(body.toString('utf8')) as JsonExport;
  return (parsed.resourceSpans ?? []).flatMap((rs) => {
    const service = String(jsonAttributes(rs.resource?.attributes)['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s): ReceivedSpan => ({
        service,
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        attributes: jsonAttributes(s.attributes),
        links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        encoding: 'json',
      })),
    );
  });
}

// ------------------------------------------------------------------------------------------------ server

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  let unreadable = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      requests.push({ path: req.url ?? '', contentType, headers: req.headers });
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        if (req.url !== '/v1/traces') throw new Error(`unexpected path ${req.url}`);
        spans.push(...(contentType.includes('protobuf') ? decodeProtobuf(body) : decodeJson(body)));
      } catch {
        unreadable++;
      }
      // An empty ExportTraceServiceResponse either way: `{}` is valid JSON, and zero bytes valid protobuf.
      if (contentType.includes('protobuf')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    unreadable: () => unreadable,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
