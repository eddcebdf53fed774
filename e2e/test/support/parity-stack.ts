/**
 * The stack for the WAHA-parity tests (pairing by code, number checks, groups, polls, session and message events),
 * in this process on the real servers: the emulator (WhatsApp's servers and every other phone), the real token,
 * gateway, connection, messaging and webhook-delivery services, and a webhook receiver that keeps every delivery.
 * Everything a test does goes through the HTTP API or the emulator.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { connectBroker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateToken, UpsertUser } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import type { TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { ConnectionEnv } from '../../../services/connection/src/config.js';
import { startConnectionService, type ConnectionService } from '../../../services/connection/src/service.js';
import { gatewayConfig } from '../../../services/gateway/src/config.js';
import { startGateway, type Gateway } from '../../../services/gateway/src/service.js';
import { MessagingConfigSchema } from '../../../services/messaging/src/config.js';
import { startMessagingService, type MessagingService } from '../../../services/messaging/src/service.js';
import { TokenConfigSchema } from '../../../services/token/src/config.js';
import { startTokenService } from '../../../services/token/src/service.js';
import { configFromEnv } from '../../../services/webhook-delivery/src/config.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../../services/webhook-delivery/src/service.js';

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

const logger = createLogger('e2e', process.env.TEST_LOG_LEVEL ?? 'silent');

/** One POST the receiver got: its headers and the parsed envelope. */
export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: { id: string; event: string; connectionId: string; payload: any; [k: string]: unknown };
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export interface ParityStack {
  emulator: Emulator;
  gateway: Gateway;
  connection: ConnectionService;
  /** Every delivery, in arrival order (a retry of an event appears again, with the same webhook-id). */
  deliveries: Delivery[];
  /** The API token of the stack's user (e.g. for `/api/ws`). */
  token: string;
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /**
   * Deliveries of `event` for `connectionId`, one per event id, in the order the events were made (their ids are
   * monotonic ULIDs): deliveries are concurrent, so arrival order is not the order of what happened.
   */
  events(connectionId: string, event: string): Delivery['body'][];
  /** Waits until `probe` gives a value (polling every 50 ms), or fails naming `what`. */
  until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms?: number): Promise<T>;
  /** A new connection with a webhook for every event to the receiver. */
  newConnection(name: string): Promise<string>;
  /** Links a connection by scanning the QR the API shows; the emulator's phone number. */
  linkByQr(connectionId: string, phone?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startParityStack(env: TestEnv, options: { messaging?: boolean } = {}): Promise<ParityStack> {
  const emulator = await startEmulator({ autoReceipt: 'none' });
  const deliveries: Delivery[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const token = await startTokenService(parseConfig(TokenConfigSchema, { ...env.serviceEnv }), { logger });
  const gateway = await startGateway(gatewayConfig({ ...env.serviceEnv, PORT: '0', RATE_LIMIT_PER_MINUTE: '100000' }), {
    logger,
  });
  const webhookDelivery: WebhookDelivery = await startWebhookDelivery(
    configFromEnv({
      ...env.serviceEnv,
      PUBLIC_API_URL: 'https://api.wahooks.example',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '200ms,1s',
    }),
    { logger },
  );
  const connection = await startConnectionService(
    parseConfig(ConnectionEnv, {
      ...env.serviceEnv,
      WA_WEBSOCKET_URL: emulator.url,
      WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
      WA_LOG_LEVEL: process.env.BAILEYS_LOG ?? 'silent',
      BILLING_GATE: 'off', // no billing service in this stack
    }),
    { logger },
  );
  const messaging: MessagingService | undefined = options.messaging
    ? await startMessagingService(
        parseConfig(MessagingConfigSchema, { ...env.serviceEnv, MESSAGING_PRESENCE_SCALE: '0' }),
        { logger },
      )
    : undefined;

  const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  const userId = randomUUID();
  await client.request(UpsertUser, { id: userId, email: `${userId}@example.test` });
  const apiToken = (await client.request(CreateToken, { userId, name: 'e2e-parity' })).token;
  await client.close();

  async function api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(40_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  async function until<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    ms = 30_000,
  ): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const events = (connectionId: string, event: string) =>
    [
      ...new Map(
        deliveries
          .filter((d) => d.body.event === event && d.body.connectionId === connectionId)
          .map((d) => [d.body.id, d.body]),
      ).values(),
    ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  return {
    emulator,
    gateway,
    connection,
    deliveries,
    token: apiToken,
    api,
    events,
    until,
    async newConnection(name) {
      const created = await api('POST', '/api/connections', { name });
      if (created.status !== 201)
        throw new Error(`create connection: ${created.status} ${JSON.stringify(created.body)}`);
      const id: string = created.body.id;
      await until('the webhook (after the ownership event reached webhook-delivery)', async () => {
        const r = await api('POST', `/api/connections/${id}/webhooks`, { url: receiverUrl, events: ['*'] });
        return r.status === 201;
      });
      return id;
    },
    async linkByQr(connectionId, phone) {
      const png = await until('a QR over HTTP', async () => {
        const r = await api('GET', `/api/connections/${connectionId}/qr`);
        return r.status === 200 && (r.body.value as string | undefined);
      });
      const image = PNG.sync.read(Buffer.from(png, 'base64'));
      const qr = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data;
      const scanned = await emulator.scan(qr, { phone });
      await until(
        'connected',
        async () => (await api('GET', `/api/connections/${connectionId}`)).body?.status === 'connected',
      );
      return scanned.phone;
    },
    async close() {
      await connection.stop().catch(() => undefined);
      await messaging?.stop().catch(() => undefined);
      await gateway.stop(100).catch(() => undefined);
      await webhookDelivery.stop().catch(() => undefined);
      await token.stop().catch(() => undefined);
      receiver.closeAllConnections();
      receiver.close();
      await emulator.close();
    },
  };
}
