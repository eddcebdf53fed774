/**
 * One connection replica (the real service) against the emulator, plus what the messaging service would do
 * around a send: stage media bytes in Redis and ask the session's owner over the broker.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { expect } from '@jest/globals';
import { createClient, type RedisClientType } from 'redis';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import {
  AppError,
  CreateConnection,
  Exchanges,
  SessionMarkRead,
  SessionPresence,
  SessionSend,
  WhatsAppEvent,
  type MediaRef,
  type RequestOf,
  type WhatsAppEventPayload,
} from '@wahooks/contracts';
import { openConnectionDatabase, type ConnectionDatabase } from './database.js';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator, type EmulatorOptions } from '@wahooks/wa-emulator';
import { ConnectionEnv } from '../../src/config.js';
import { startConnectionService, type ConnectionService } from '../../src/service.js';
import { logger, waitFor } from './emulated.js';

function serviceConfig(env: TestEnv, emulator: Emulator, extra: Record<string, string> = {}) {
  return parseConfig(ConnectionEnv, {
    ...env.serviceEnv,
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: process.env.BAILEYS_LOG ?? 'silent',
    BILLING_GATE: 'off', // sends are the subject here, not the create gate
    ...extra,
  });
}

export interface OutboundHarness {
  env: TestEnv;
  emulator: Emulator;
  service: ConnectionService;
  /** Plays the messaging service on the broker. */
  client: Broker;
  redis: RedisClientType;
  database: ConnectionDatabase;
  /** Every WhatsApp event the service published, in arrival order. */
  events: WhatsAppEventPayload[];
  /** With `{hold: true}`: between the sessions and the emulator, able to hold what the sessions write. */
  link?: HoldingProxy;
  close(): Promise<void>;
}

/**
 * A TCP proxy that can hold the client → server direction: the WebSocket stays open, but nothing the client
 * writes reaches the emulator (so its queries go unanswered) until `release()`, which delivers it all in order.
 */
export interface HoldingProxy {
  url: string;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const { hostname, port, pathname } = new URL(target);
  let held = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => (held ? waiting.push(() => upstream.write(chunk)) : upstream.write(chunk)));
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}${pathname}`,
    hold: () => void (held = true),
    release() {
      held = false;
      for (const write of waiting.splice(0)) write();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startHarness(
  label: string,
  opts: { emulator?: EmulatorOptions; env?: Record<string, string>; subscribe?: boolean; hold?: boolean } = {},
): Promise<OutboundHarness> {
  const env = await createTestEnv(label);
  const emulator = await startEmulator(opts.emulator);
  const link = opts.hold ? await startHoldingProxy(emulator.url) : undefined;
  const service = await startConnectionService(
    serviceConfig(env, emulator, { ...(link ? { WA_WEBSOCKET_URL: link.url } : {}), ...opts.env }),
    { logger },
  );
  const client = await connectBroker({ url: env.rabbitmqUrl, service: 'messaging', namespace: env.namespace, logger });
  const events: WhatsAppEventPayload[] = [];
  if (opts.subscribe)
    await client.subscribe('outbound-test', [on(WhatsAppEvent, async (payload) => void events.push(payload))]);
  const redis = createClient({ url: env.redisUrl }) as RedisClientType;
  await redis.connect();
  const database = await openConnectionDatabase(env.databaseUrl);
  const harness: OutboundHarness = {
    env,
    emulator,
    service,
    client,
    redis,
    database,
    events,
    link,
    async close() {
      await client.close().catch(() => undefined);
      await harness.service.stop().catch(() => undefined); // the current replica (a test may replace it)
      await link?.close();
      await emulator.close().catch(() => undefined);
      redis.destroy();
      await database.close().catch(() => undefined);
      await env.cleanup();
    },
  };
  return harness;
}

/** Replaces the harness's replica with a fresh one on the same database, broker namespace and emulator. */
export async function restartService(h: OutboundHarness): Promise<void> {
  await h.service.stop();
  h.service = await startConnectionService(serviceConfig(h.env, h.emulator), { logger });
}

/** Creates a connection through the API and scans its QR with a fresh emulated phone. */
export async function linkConnection(
  h: OutboundHarness,
  userId = randomUUID(),
): Promise<{ id: string; phone: string }> {
  const { id } = await h.client.request(CreateConnection, { userId, name: 'outbound' });
  const qr = await waitFor(() => h.service.sessions.session(id)?.qr, 'a QR', 30_000);
  const { phone } = await h.emulator.scan(qr);
  await waitFor(() => h.service.sessions.session(id)?.me(), 'linked', 30_000);
  await waitFor(() => h.emulator.accounts().find((a) => a.phone === phone)?.connected, 'logged in', 30_000);
  return { id, phone };
}

/** A connection that has an owner but was never linked (its QR is never scanned). */
export async function unlinkedConnection(h: OutboundHarness): Promise<string> {
  const { id } = await h.client.request(CreateConnection, { userId: randomUUID(), name: 'unlinked' });
  await waitFor(() => h.service.sessions.session(id)?.qr, 'a QR', 30_000);
  return id;
}

/** A Baileys-style message id, chosen by the caller as the messaging service does. */
export const newMessageId = () => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;

const routed = (connectionId: string, timeoutMs = 60_000) => ({
  exchange: Exchanges.sessions,
  routingKey: connectionId,
  timeoutMs,
});

export type SendRequest = RequestOf<typeof SessionSend>;

export function send(h: OutboundHarness, req: Omit<SendRequest, 'messageId'> & { messageId?: string }) {
  return h.client.request(
    SessionSend,
    { ...req, messageId: req.messageId ?? newMessageId() },
    routed(req.connectionId),
  );
}

export function presence(h: OutboundHarness, req: RequestOf<typeof SessionPresence>) {
  return h.client.request(SessionPresence, req, routed(req.connectionId));
}

export function markRead(h: OutboundHarness, req: RequestOf<typeof SessionMarkRead>) {
  return h.client.request(SessionMarkRead, req, routed(req.connectionId));
}

/** Stages bytes in Redis the way the messaging service does (full key, short TTL). */
export async function stage(h: OutboundHarness, data: Buffer, mimetype: string, fileName?: string): Promise<MediaRef> {
  const key = `${h.env.redisPrefix}messaging:media:${randomUUID()}`;
  await h.redis.set(key, data, { expiration: { type: 'PX', value: 60_000 } });
  return { key, size: data.length, mimetype, ...(fileName ? { fileName } : {}) };
}

export const jidOf = (phone: string) => `${phone}@s.whatsapp.net`;

/** The AppError `p` rejects with; the test fails if it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}
