/**
 * Customers' webhooks never carry traceparent or any other tracing header (issue 10), however the telemetry is
 * loaded. Here the way `npm start` and the Docker image run it: `node --import <telemetry register> dist/main.js`
 * (built by `npx tsc -b`), with an OTLP endpoint, so the SDK and its HTTP instrumentation are really on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectBroker, type Broker } from '@wahooks/broker';
import { ConnectionCreated, CreateWebhook, ListWebhooks, TestWebhook } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startReceiver, waitFor } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const serviceDir = path.resolve(here, '..');
const register = pathToFileURL(path.resolve(here, '../../../libs/telemetry/dist/register.js')).href;
const TRACING_HEADERS = ['traceparent', 'tracestate', 'baggage', 'b3', 'x-b3-traceid', 'uber-trace-id'];

let env: TestEnv;
let child: ChildProcess;
let client: Broker;
let rx: Awaited<ReturnType<typeof startReceiver>>;
let collector: http.Server;
const exported: string[] = []; // OTLP request paths the collector received
let output = '';

beforeAll(async () => {
  env = await createTestEnv('wd_no_tracing_headers');
  rx = await startReceiver(() => 200);
  collector = http.createServer((req, res) => {
    req.resume().on('end', () => {
      exported.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  child = spawn(process.execPath, ['--enable-source-maps', '--import', register, 'dist/main.js'], {
    cwd: serviceDir,
    env: {
      PATH: process.env.PATH ?? '',
      ...env.serviceEnv,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  client = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'gateway',
    namespace: env.namespace,
    logger: createLogger('test', 'silent'),
  });
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  if (child && child.exitCode === null) await new Promise((r) => child.once('exit', r));
  await client?.close();
  await rx?.close();
  await new Promise((r) => collector?.close(r));
  await env?.cleanup();
});

describe('outbound webhooks with the telemetry preload', () => {
  it('carry no traceparent, tracestate, baggage or b3 header, while the service itself is traced', async () => {
    const userId = randomUUID();
    const connectionId = randomUUID();
    // Until the service has bound its event queue the event would be lost: publish until the projection has it.
    await waitFor(
      async () => {
        await client.publish(ConnectionCreated, { connectionId, userId });
        return client.request(ListWebhooks, { userId, connectionId }).then(
          () => true,
          () => false,
        );
      },
      30_000,
      `webhook-delivery to start (output so far: ${output.slice(-500)})`,
    );
    const webhook = await client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });
    await client.request(TestWebhook, { userId, webhookId: webhook.id });
    await waitFor(() => rx.received.length > 0, 15_000, 'the test event at the receiver');

    const headers = rx.received[0]!.headers;
    expect(headers['webhook-id']).toBeDefined(); // it is our signed delivery
    for (const name of TRACING_HEADERS) expect(headers[name]).toBeUndefined();
    // The preload really traced this process: spans reached the collector.
    await waitFor(() => exported.some((p) => p.includes('/v1/traces')), 15_000, 'spans at the collector');
  }, 60_000);
});
