/** Test harness: a real service on a fresh database + broker namespace, a client broker, local receivers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { connectBroker, type Broker } from '@wahooks/broker';
import {
  ConnectionCreated,
  ListWebhookLogs,
  ListWebhooks,
  newEventId,
  WhatsAppEvent,
  type WhatsAppEventPayload,
} from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { configFromEnv, type Config } from '../src/config.js';
import { startWebhookDelivery, type WebhookDelivery } from '../src/service.js';

export interface Harness {
  env: TestEnv;
  config: Config;
  service: WebhookDelivery | null;
  client: Broker;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
  newConnection(userId?: string): Promise<{ connectionId: string; userId: string }>;
  publishEvent(
    e: Partial<WhatsAppEventPayload> & { connectionId: string; userId: string },
  ): Promise<WhatsAppEventPayload>;
}

export function testConfig(env: TestEnv, overrides: Partial<Config> = {}): Config {
  return {
    ...configFromEnv({}),
    rabbitmqUrl: env.rabbitmqUrl,
    databaseUrl: env.databaseUrl,
    brokerNamespace: env.namespace,
    allowedHosts: ['127.0.0.1'],
    retrySchedule: [200, 400],
    retryJitter: 0,
    timeoutMs: 2000,
    busyDelayMs: 100,
    publicApiUrl: 'https://api.example.test',
    ...overrides,
  };
}

/** A fresh event id, as the connection service makes them. */
export const eventId = (): string => newEventId();

export async function createHarness(
  label: string,
  overrides: Partial<Config> = {},
  opts: { start?: boolean } = {},
): Promise<Harness> {
  const env = await createTestEnv(label);
  const config = testConfig(env, overrides);
  const logger = createLogger('webhook-delivery-test', process.env.TEST_LOG_LEVEL ?? 'warn');
  const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  const h: Harness = {
    env,
    config,
    service: null,
    client,
    async start() {
      h.service = await startWebhookDelivery(config, { logger });
    },
    async stop() {
      await h.service?.stop();
      h.service = null;
    },
    async close() {
      await h.stop().catch(() => undefined);
      await client.close().catch(() => undefined);
      await env.cleanup();
    },
    async newConnection(userId = randomUUID()) {
      const connectionId = randomUUID();
      const status = (answer: Promise<unknown>) =>
        answer.then(
          () => 200,
          (err: { statusCode?: number }) => err.statusCode ?? 500,
        );
      // The service binds its event queues before it serves commands: once it answers one (404 for a webhook that
      // does not exist), the ConnectionCreated below has a queue to land in. Published once, so a lost event
      // fails here instead of being covered by a re-publish.
      const probe = { userId, webhookId: randomUUID() };
      await waitFor(async () => (await status(client.request(ListWebhookLogs, probe))) === 404, 30_000, 'the service');
      await client.publish(ConnectionCreated, { connectionId, userId });
      // The projection is eventually consistent: wait until the service knows the owner.
      const list = () => status(client.request(ListWebhooks, { userId, connectionId }));
      await waitFor(async () => (await list()) === 200, 15_000, `the service to know the owner of ${connectionId}`);
      return { connectionId, userId };
    },
    async publishEvent(e) {
      const payload: WhatsAppEventPayload = {
        id: eventId(),
        timestamp: Date.now(),
        event: 'message',
        session: 'default',
        me: { id: '15551234567@c.us', pushName: 'Alice' },
        payload: { body: 'hi' },
        engine: 'NOWEB',
        environment: { version: '2025.1.0', engine: 'NOWEB', tier: 'CORE', browser: null },
        ...e,
      };
      await client.publish(WhatsAppEvent, payload, { id: payload.id });
      return payload;
    },
  };
  if (opts.start !== false) await h.start();
  return h;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A local receiver: records every request; `respond` decides the answer (default 200). */
export async function startReceiver(
  respond: (
    r: Received,
    all: Received[],
  ) => number | { status: number; headers?: Record<string, string>; delayMs?: number; body?: string } = () => 200,
) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(r);
      const a = respond(r, received);
      const ans = typeof a === 'number' ? { status: a } : a;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(ans.status, { 'content-type': 'text/plain', ...ans.headers });
        res.end(ans.body ?? 'ok');
      };
      if (ans.delayMs) setTimeout(send, ans.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
