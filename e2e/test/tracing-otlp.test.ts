/**
 * Traces as an operator sees them: the real services as separate processes, each started the way `npm start`
 * starts it (`node --import @wahooks/telemetry/register dist/main.js`, no OTEL_SERVICE_NAME), exporting over
 * OTLP/HTTP to a receiver inside this test. Gateway and connection export `http/protobuf` (through
 * OTEL_EXPORTER_OTLP_ENDPOINT), token, messaging and webhook-delivery `http/json` (through
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), each with an OTEL_EXPORTER_OTLP_HEADERS header; one trace crosses both.
 *
 * Asserted, for one inbound WhatsApp message (emulator → connection → webhook-delivery → receiver) and for one
 * API send (gateway → messaging → connection → emulator): one trace id across the services, one root, every
 * parent span present, exactly one span per hop with the messaging / HTTP semantic-convention attributes,
 * `service.name` = the service's folder name, no traceparent sent to the customer's receiver, and no message
 * text or URL secret in any attribute.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { connectBroker } from '@wahooks/broker';
import { CreateToken, UpsertUser } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { SpanKinds, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const register = pathToFileURL(path.join(repoRoot, 'libs/telemetry/dist/register.js')).href;
const CONTACT = '15557654321';
const URL_SECRET = `s3cret-${randomUUID().slice(0, 8)}`;
/** A message whose text holds this is answered 500 on its first POST (the retry case). */
const FAIL_ONCE = 'fail-once';

type Service = 'token' | 'gateway' | 'messaging' | 'webhook-delivery' | 'connection';
const READY: Record<Service, string> = {
  token: 'token service ready',
  gateway: 'gateway listening',
  messaging: 'messaging service ready',
  'webhook-delivery': 'webhook-delivery started',
  connection: 'connection service started',
};
const PROTOBUF = new Set<Service>(['gateway', 'connection']);

interface Child {
  service: Service;
  proc: ChildProcess;
  lines: string[];
}

let env: TestEnv;
let emulator: Emulator;
let otlp: OtlpReceiver;
let hooks: http.Server;
let hookUrl = '';
const hookPosts: { headers: http.IncomingHttpHeaders; body: { event: string; payload: { id: string } } }[] = [];
const children: Child[] = [];
let gatewayUrl = '';
let apiToken = '';
let passed = false;

async function startService(service: Service, extra: Record<string, string> = {}): Promise<Child> {
  const otel: Record<string, string> = PROTOBUF.has(service)
    ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }
    : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: '', // jest's (vm modules); the child is a plain service process
    ...env.serviceEnv,
    LOG_LEVEL: 'info', // the ready lines
    PUBLIC_API_URL: 'https://api.wahooks.example',
    METRICS_PORT: '0',
    ...otel,
    OTEL_EXPORTER_OTLP_HEADERS: `x-otlp-test=${service}`,
    OTEL_BSP_SCHEDULE_DELAY: '200', // ms between exports
    ...extra,
  };
  delete childEnv.OTEL_SERVICE_NAME; // the default must be the folder name
  delete childEnv.OTEL_SDK_DISABLED;
  const proc = spawn(process.execPath, ['--enable-source-maps', '--import', register, 'dist/main.js'], {
    cwd: path.join(repoRoot, 'services', service),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: Child = { service, proc, lines: [] };
  children.push(child);
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      child.lines.push(...parts);
    });
  }
  const ready = await until(
    `${service} to start`,
    () => {
      if (proc.exitCode !== null) throw new Error(`${service} exited ${proc.exitCode}:\n${child.lines.join('\n')}`);
      return child.lines.find((l) => l.includes(READY[service]));
    },
    90_000,
  );
  if (service === 'gateway') gatewayUrl = `http://127.0.0.1:${(JSON.parse(ready) as { port: number }).port}`;
  return child;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api(method: string, route: string, body?: unknown) {
  const res = await fetch(`${gatewayUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${apiToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  env = await createTestEnv('e2e_tracing_otlp');
  emulator = await startEmulator();
  otlp = await startOtlpReceiver();
  hooks = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof hookPosts)[number]['body'];
      const failOnce = JSON.stringify(body).includes(FAIL_ONCE);
      const first = !hookPosts.some((p) => p.body.payload?.id === body.payload?.id);
      hookPosts.push({ headers: req.headers, body });
      res.writeHead(failOnce && first ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook?token=${URL_SECRET}`;

  await startService('token'); // first: it runs the migrations the others' RPCs need soonest
  await Promise.all([
    startService('gateway', { PORT: '0', RATE_LIMIT_PER_MINUTE: '100000' }),
    startService('messaging', { MESSAGING_PRESENCE_SCALE: '0' }),
    startService('webhook-delivery', { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '200ms,1s' }),
    startService('connection', {
      WA_WEBSOCKET_URL: emulator.url,
      WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
      WA_LOG_LEVEL: 'silent',
    }),
  ]);

  const client = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'gateway',
    namespace: env.namespace,
    logger: createLogger('e2e', 'silent'),
  });
  const userId = randomUUID();
  await client.request(UpsertUser, { id: userId, email: `${userId}@example.test` });
  apiToken = (await client.request(CreateToken, { userId, name: 'e2e-tracing' })).token;
  await client.close();
}, 180_000);

afterAll(async () => {
  if (!passed) for (const c of children) console.log(`--- ${c.service}\n${c.lines.slice(-30).join('\n')}`);
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await Promise.all(
    children.map((c) => (c.proc.exitCode === null ? new Promise((r) => c.proc.once('exit', r)) : undefined)),
  );
  hooks?.closeAllConnections();
  hooks?.close();
  await otlp?.close();
  await emulator?.close();
  await env?.cleanup();
}, 60_000);

// ------------------------------------------------------------------------------------------------ trace shape

const spansOf = (traceId: string) => otlp.spans.filter((s) => s.traceId === traceId);
const describeTrace = (trace: ReceivedSpan[]) =>
  trace.map((s) => `${s.service} ${s.kind} ${s.name} ${s.spanId}<-${s.parentSpanId || 'root'}`).join('\n');

/** One root; every other span's parent is in the trace. */
function expectWhole(trace: ReceivedSpan[]): void {
  const ids = new Set(trace.map((s) => s.spanId));
  const orphans = trace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
  expect({ roots: trace.filter((s) => !s.parentSpanId).length, orphans: orphans.map((s) => s.name) }).toEqual({
    roots: 1,
    orphans: [],
  });
}

/** The one span of the trace that matches; fails with the trace when there are none or several. */
function onlyOne(trace: ReceivedSpan[], what: string, match: (s: ReceivedSpan) => boolean): ReceivedSpan {
  const found = trace.filter(match);
  if (found.length !== 1) throw new Error(`${found.length} spans for ${what} in:\n${describeTrace(trace)}`);
  return found[0]!;
}

/** True when `ancestor` is `span`'s parent, grandparent, … within `trace`. */
function descends(trace: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  for (let s = byId.get(span.parentSpanId); s; s = byId.get(s.parentSpanId)) if (s === ancestor) return true;
  return false;
}

/** No attribute value of the trace contains any of `needles` (message text, URL secrets, tokens). */
function expectNoneContain(trace: ReceivedSpan[], needles: string[]): void {
  const leaks = trace.flatMap((s) =>
    Object.entries(s.attributes)
      .filter(([, v]) => needles.some((n) => String(v).includes(n)))
      .map(([k]) => `${s.service}/${s.name}: ${k}`),
  );
  expect(leaks).toEqual([]);
}

const routingKey = (s: ReceivedSpan) => String(s.attributes['messaging.rabbitmq.destination.routing_key'] ?? '');
const destination = (s: ReceivedSpan) => String(s.attributes['messaging.destination.name'] ?? '');

describe('OTLP traces across the real services', () => {
  let connectionId = '';
  let phone = '';

  it('links a connection with a webhook (setup through the API)', async () => {
    const created = await api('POST', '/api/connections', { name: 'tracing' });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    await until('the webhook', async () => {
      const r = await api('POST', `/api/connections/${connectionId}/webhooks`, { url: hookUrl, events: ['message'] });
      return r.status === 201;
    });
    const png = await until('a QR', async () => {
      const r = await api('GET', `/api/connections/${connectionId}/qr`);
      return r.status === 200 && (r.body.value as string | undefined);
    });
    const image = PNG.sync.read(Buffer.from(png, 'base64'));
    ({ phone } = await emulator.scan(jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data));
    await until(
      'connected',
      async () => (await api('GET', `/api/connections/${connectionId}`)).body?.status === 'connected',
      60_000,
    );
  }, 120_000);

  it('one inbound message is one trace: receive → publish → fan-out → the POST to the receiver', async () => {
    const text = `inbound trace ${randomUUID()}`;
    const { id: waId } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text });
    const post = await until(
      'the webhook POST',
      () => hookPosts.find((p) => p.body.event === 'message' && p.body.payload.id.endsWith(waId)),
      30_000,
    );
    expect(post.headers.traceparent).toBeUndefined(); // customers never get our trace context
    expect(post.headers.tracestate).toBeUndefined();
    expect(post.headers.baggage).toBeUndefined();
    const eventId = String(post.headers['webhook-id']);

    // The event's publish span names the event id; its trace is the message's.
    const publish = await until('the outbox publish span', () =>
      otlp.spans.find((s) => s.kind === SpanKinds.PRODUCER && s.attributes['messaging.message.id'] === eventId),
    );
    const traceId = publish.traceId;
    const isPost = (s: ReceivedSpan) => s.service === 'webhook-delivery' && s.kind === SpanKinds.CLIENT;
    await until('the attempt span', () => spansOf(traceId).some(isPost), 15_000);
    await new Promise((r) => setTimeout(r, 1000)); // stragglers (other consumers of the event) arrive too
    const trace = spansOf(traceId);
    expectWhole(trace);

    const receive = onlyOne(
      trace,
      'the Baileys batch',
      (s) => s.service === 'connection' && s.name === 'receive whatsapp',
    );
    expect(receive).toMatchObject({ kind: SpanKinds.CONSUMER, parentSpanId: '', encoding: 'protobuf' });
    expect(receive.attributes['wahooks.connection.id']).toBe(connectionId);

    // The relay published the row later, from its own loop: its span continues the batch's trace. The batch holds
    // more than one event (`message` and `message.any`): one publish span each, one for this event.
    expect(
      onlyOne(
        trace,
        'the outbox publish',
        (s) =>
          s.service === 'connection' &&
          s.kind === SpanKinds.PRODUCER &&
          s.attributes['messaging.message.id'] === eventId,
      ),
    ).toBe(publish);
    expect(publish.parentSpanId).toBe(receive.spanId);
    expect(publish.name).toBe(`publish ${destination(publish)}`);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'publish',
      'messaging.rabbitmq.destination.routing_key': 'connection.whatsapp.event',
    });
    expect(destination(publish)).toMatch(/wahooks\.events$/);

    const fanOut = onlyOne(
      trace,
      'the fan-out',
      (s) => s.service === 'webhook-delivery' && s.kind === SpanKinds.CONSUMER && s.parentSpanId === publish.spanId,
    );
    expect(fanOut.encoding).toBe('json');
    expect(routingKey(fanOut)).toBe('connection.whatsapp.event');
    expect(destination(fanOut)).toMatch(/webhook-delivery:events:fan-out$/);
    expect(fanOut.name).toBe(`process ${destination(fanOut)}`);
    expect(fanOut.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.message.id': eventId });

    const attempt = onlyOne(trace, 'the attempt', isPost);
    expect(descends(trace, attempt, fanOut)).toBe(true); // inline, or through the attempts queue
    expect(attempt.name).toBe('POST');
    expect(attempt.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(hookUrl).port),
      'http.response.status_code': 204,
      'wahooks.attempt': 1,
    });
    // Every span between the fan-out and the POST is webhook-delivery's own (its attempts queue).
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    for (let s = byId.get(attempt.parentSpanId)!; s !== fanOut; s = byId.get(s.parentSpanId)!)
      expect(s.service).toBe('webhook-delivery');

    expectNoneContain(trace, [text, URL_SECRET, apiToken, CONTACT]);
  }, 60_000);

  it('a retry continues the trace: the second attempt, from the delay queue, descends from the first', async () => {
    const text = `${FAIL_ONCE} ${randomUUID()}`;
    const { id: waId } = await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text });
    const posts = () => hookPosts.filter((p) => p.body.event === 'message' && p.body.payload.id.endsWith(waId));
    await until('two POSTs (500, then 204)', () => posts().length === 2, 30_000);
    const eventId = String(posts()[0]!.headers['webhook-id']);
    const isPost = (s: ReceivedSpan) => s.service === 'webhook-delivery' && s.kind === SpanKinds.CLIENT;
    const publish = await until('the outbox publish span', () =>
      otlp.spans.find((s) => s.kind === SpanKinds.PRODUCER && s.attributes['messaging.message.id'] === eventId),
    );
    await until('both attempt spans', () => spansOf(publish.traceId).filter(isPost).length === 2, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const trace = spansOf(publish.traceId);
    expectWhole(trace);
    const first = onlyOne(trace, 'attempt 1', (s) => isPost(s) && s.attributes['wahooks.attempt'] === 1);
    const second = onlyOne(trace, 'attempt 2', (s) => isPost(s) && s.attributes['wahooks.attempt'] === 2);
    expect(first.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
    expect(second.attributes['http.response.status_code']).toBe(204);
    // attempt 1's consumer span → publish to the delay queue → (TTL, dead-lettered back) → process → attempt 2
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const firstRun = byId.get(first.parentSpanId)!;
    const delayed = onlyOne(
      trace,
      'the retry publish',
      (s) => s.kind === SpanKinds.PRODUCER && s.parentSpanId === firstRun.spanId && /delay/.test(destination(s)),
    );
    expect(descends(trace, second, delayed)).toBe(true);
  }, 60_000);

  it('one API send is one trace: gateway → messaging → connection → the Baileys send', async () => {
    const text = `outbound trace ${randomUUID()}`;
    const sent = await api('POST', `/api/connections/${connectionId}/send`, {
      chatId: `${CONTACT}@c.us`,
      text,
      skipPresence: true,
    });
    expect(sent.status).toBeLessThan(300);
    const isServer = (s: ReceivedSpan) =>
      s.service === 'gateway' && s.kind === SpanKinds.SERVER && s.name === 'POST /api/connections/:id/send';
    const server = await until('the gateway span', () => otlp.spans.find(isServer), 15_000);
    const isBaileysSend = (s: ReceivedSpan) => s.service === 'connection' && s.name === 'send whatsapp';
    await until('the Baileys send span', () => spansOf(server.traceId).some(isBaileysSend), 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const trace = spansOf(server.traceId);
    expectWhole(trace);
    expect(server).toMatchObject({ parentSpanId: '', encoding: 'protobuf' });
    expect(server.attributes['http.route']).toBe('/api/connections/:id/send');

    const request = onlyOne(
      trace,
      'the send request',
      (s) => s.service === 'gateway' && s.kind === SpanKinds.PRODUCER && routingKey(s) === 'messaging.message.send',
    );
    expect(descends(trace, request, server)).toBe(true);
    expect(request.name).toBe(`publish ${destination(request)}`);
    expect(destination(request)).toMatch(/wahooks\.commands$/);

    const handle = onlyOne(
      trace,
      'the messaging command',
      (s) => s.service === 'messaging' && s.kind === SpanKinds.CONSUMER && routingKey(s) === 'messaging.message.send',
    );
    expect(handle).toMatchObject({ parentSpanId: request.spanId, encoding: 'json' });
    expect(handle.name).toBe(`process ${destination(handle)}`);

    const toOwner = onlyOne(
      trace,
      'the session send request',
      (s) => s.service === 'messaging' && s.kind === SpanKinds.PRODUCER && destination(s).endsWith('wahooks.sessions'),
    );
    expect(descends(trace, toOwner, handle)).toBe(true);
    expect(routingKey(toOwner)).toBe(connectionId);

    const owner = onlyOne(
      trace,
      'the session owner',
      (s) => s.service === 'connection' && s.kind === SpanKinds.CONSUMER && destination(s).endsWith('wahooks.sessions'),
    );
    expect(owner.parentSpanId).toBe(toOwner.spanId);

    const baileys = onlyOne(trace, 'the Baileys send', isBaileysSend);
    expect(baileys.kind).toBe(SpanKinds.CLIENT);
    expect(descends(trace, baileys, owner)).toBe(true);
    expect(baileys.attributes).toMatchObject({ 'wahooks.connection.id': connectionId, 'wahooks.message.type': 'text' });

    expectNoneContain(trace, [text, apiToken]);
  }, 60_000);

  it('service.name is the folder name; both encodings and the OTLP headers were used; nothing unreadable', () => {
    const names = new Set(otlp.spans.map((s) => s.service));
    for (const s of ['token', 'gateway', 'messaging', 'webhook-delivery', 'connection']) expect(names).toContain(s);
    for (const s of otlp.spans) expect(s.encoding).toBe(PROTOBUF.has(s.service as Service) ? 'protobuf' : 'json');
    expect(otlp.unreadable()).toBe(0);
    expect(otlp.requests.every((r) => r.path === '/v1/traces')).toBe(true); // no metrics, no logs
    const headers = new Set(otlp.requests.map((r) => String(r.headers['x-otlp-test'])));
    expect([...headers].sort()).toEqual(['connection', 'gateway', 'messaging', 'token', 'webhook-delivery']);
    passed = true;
  });
});
