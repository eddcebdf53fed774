/**
 * The inbound path for fault tests, in this process on the real servers: the emulator (WhatsApp's servers and the
 * contact's phone) → the real connection service → RabbitMQ → the real webhook-delivery → signed POSTs to a local
 * receiver, with the real token service and gateway for the API. Each service's Postgres or Redis URL can point
 * at a proxy of the test's own. The receiver counts what arrived per sent message, by webhook-id.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateToken, UpsertUser } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import type { TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { ConnectionEnv } from '../../../services/connection/src/config.js';
import { startConnectionService, type ConnectionService } from '../../../services/connection/src/service.js';
import { gatewayConfig } from '../../../services/gateway/src/config.js';
import { startGateway, type Gateway } from '../../../services/gateway/src/service.js';
import { TokenConfigSchema } from '../../../services/token/src/config.js';
import { startTokenService, type TokenService } from '../../../services/token/src/service.js';
import { configFromEnv } from '../../../services/webhook-delivery/src/config.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../../services/webhook-delivery/src/service.js';

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

export const CONTACT = '15557654321';
const logger = createLogger('e2e', process.env.TEST_LOG_LEVEL ?? 'silent');

/** Per-service overrides of the test env (e.g. DATABASE_URL through a proxy). */
export interface StackEnv {
  token?: Record<string, string>;
  gateway?: Record<string, string>;
  webhookDelivery?: Record<string, string>;
  connection?: Record<string, string>;
}

/** What the receiver saw of one sent message. */
interface Seen {
  posts: number;
  webhookIds: Set<string>;
}

export interface Receiver {
  url: string;
  /** By WhatsApp message id (the emulator's id of the sent message). */
  seen: Map<string, Seen>;
  posts(): number;
  close(): void;
}

async function startReceiver(): Promise<Receiver> {
  const seen = new Map<string, Seen>();
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string; payload: { id: string } };
      if (body.event === 'message') {
        const messageId = body.payload.id.split('_').pop()!; // `false_<chat>_<message id>`
        const entry = seen.get(messageId) ?? { posts: 0, webhookIds: new Set<string>() };
        entry.posts++;
        entry.webhookIds.add(String(req.headers['webhook-id']));
        seen.set(messageId, entry);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    seen,
    posts: () => posts,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export interface Tally {
  sent: number;
  received: number; // distinct sent messages that reached the webhook
  missing: string[];
  posts: number; // every POST of a sent message, repeats included
  repeats: number; // POSTs beyond the first per message
  /** Messages that arrived under more than one webhook-id (a repeat must carry the same one). */
  changedIds: string[];
}

export function tally(receiver: Receiver, sent: string[]): Tally {
  const entries = sent.map((id) => [id, receiver.seen.get(id)] as const);
  const posts = entries.reduce((n, [, s]) => n + (s?.posts ?? 0), 0);
  return {
    sent: sent.length,
    received: entries.filter(([, s]) => s).length,
    missing: entries.filter(([, s]) => !s).map(([id]) => id),
    posts,
    repeats: posts - entries.filter(([, s]) => s).length,
    changedIds: entries.filter(([, s]) => s && s.webhookIds.size > 1).map(([id]) => id),
  };
}

export interface InboundStack {
  emulator: Emulator;
  receiver: Receiver;
  gateway: Gateway;
  connection: ConnectionService;
  webhookDelivery: WebhookDelivery;
  token: TokenService;
  /** A wh_ token of the test's user. */
  apiToken: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }>;
  /** A connection linked by scanning the QR the API shows, with a webhook for `message` to the receiver. */
  link(): Promise<{ connectionId: string; phone: string }>;
  /** `count` texts from the contact, one after the other (`gapMs` apart); their message ids. */
  burst(phone: string, count: number, label: string, gapMs?: number): Promise<string[]>;
  /** Waits (up to `ms`) until every one of `sent` reached the receiver; then the tally, whatever it is. */
  settle(sent: string[], ms: number): Promise<Tally>;
  close(): Promise<void>;
}

export async function startInboundStack(env: TestEnv, overrides: StackEnv = {}): Promise<InboundStack> {
  const emulator = await startEmulator();
  const receiver = await startReceiver();
  const token = await startTokenService(
    parseConfig(TokenConfigSchema, { ...env.serviceEnv, TOKEN_LAST_USED_FLUSH_MS: '200', ...overrides.token }),
    { logger },
  );
  const gateway = await startGateway(
    gatewayConfig({
      ...env.serviceEnv,
      PORT: '0',
      RATE_LIMIT_PER_MINUTE: '100000',
      RPC_TIMEOUT_MS: '3000',
      HEALTH_TIMEOUT_MS: '1500',
      ...overrides.gateway,
    }),
    { logger },
  );
  const webhookDelivery = await startWebhookDelivery(
    configFromEnv({
      ...env.serviceEnv,
      PUBLIC_API_URL: 'https://api.wahooks.example',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '200ms,1s,2s,5s',
      ...overrides.webhookDelivery,
    }),
    { logger },
  );
  const connection = await startConnectionService(
    parseConfig(ConnectionEnv, {
      ...env.serviceEnv,
      WA_WEBSOCKET_URL: emulator.url,
      WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
      WA_LOG_LEVEL: process.env.BAILEYS_LOG ?? 'silent',
      BILLING_GATE: 'off', // no billing service in this stack: creates are not gated
      ...overrides.connection,
    }),
    { logger },
  );
  const client: Broker = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'gateway',
    namespace: env.namespace,
    logger,
  });
  const userId = randomUUID();
  await client.request(UpsertUser, { id: userId, email: `${userId}@example.test` });
  const apiToken = (await client.request(CreateToken, { userId, name: 'e2e-faults' })).token;
  await client.close();

  async function api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    emulator,
    receiver,
    gateway,
    connection,
    webhookDelivery,
    token,
    apiToken,
    api,
    async link() {
      const created = await api('POST', '/api/connections', { name: 'faults' });
      if (created.status !== 201) throw new Error(`create connection: ${created.status}`);
      const connectionId: string = created.body.id;
      await until('the webhook', async () => {
        const r = await api('POST', `/api/connections/${connectionId}/webhooks`, {
          url: receiver.url,
          events: ['message'],
        });
        return r.status === 201;
      });
      const png = await until('a QR', async () => {
        const r = await api('GET', `/api/connections/${connectionId}/qr`);
        return r.status === 200 && (r.body.value as string | undefined);
      });
      const image = PNG.sync.read(Buffer.from(png, 'base64'));
      const qr = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data;
      const { phone } = await emulator.scan(qr);
      await until(
        'connected',
        async () => (await api('GET', `/api/connections/${connectionId}`)).body?.status === 'connected',
      );
      return { connectionId, phone };
    },
    async burst(phone, count, label, gapMs = 0) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        ids.push((await emulator.inbound({ to: phone, from: CONTACT, type: 'text', text: `${label} ${i}` })).id);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      return ids;
    },
    async settle(sent, ms) {
      const end = Date.now() + ms;
      while (tally(receiver, sent).missing.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
      await new Promise((r) => setTimeout(r, 1000)); // repeats still on their way arrive now
      return tally(receiver, sent);
    },
    async close() {
      await connection.stop().catch(() => undefined);
      await gateway.stop(100).catch(() => undefined);
      await webhookDelivery.stop().catch(() => undefined);
      await token.stop().catch(() => undefined);
      receiver.close();
      await emulator.close();
    },
  };
}
