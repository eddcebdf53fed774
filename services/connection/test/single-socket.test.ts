/**
 * One socket per session, counted by the emulator: replica A, alive, loses its lease (its Redis is cut off, so its
 * renewals cannot reach Redis) and must close its WhatsApp socket before replica B's lease can start, so the account
 * never has two sockets open at once; B's socket then carries the session. Two replicas in this process, with their
 * own instance ids, on the real Postgres/RabbitMQ/Redis; A reaches Redis through a TCP proxy of the test's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateConnection, WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';
import { createTestEnv, startTcpProxy, type TcpProxy, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { askOwner } from '../src/commands/session-client.js';
import { ConnectionEnv } from '../src/config.js';
import { startConnectionService, type ConnectionService } from '../src/service.js';
import { logger, waitFor } from './support/emulated.js';

const LEASE_MS = 3000; // renewals every 1 s; a replica that cannot renew drops the lease 600 ms before it expires

let env: TestEnv;
let emulator: Emulator;
let redisOfA: TcpProxy;
let db: pg.Pool;
let client: Broker; // plays the gateway
let consumer: Broker; // plays webhook-delivery
const replicas: ConnectionService[] = [];
const published: WhatsAppEventPayload[] = [];
const userId = randomUUID();

const startReplica = async (instanceId: string, redisUrl: string) => {
  const config = parseConfig(ConnectionEnv, {
    ...env.serviceEnv,
    REDIS_URL: redisUrl,
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: String(LEASE_MS),
  });
  const replica = await startConnectionService(config, { logger, instanceId });
  replicas.push(replica);
  return replica;
};

const ownerOf = async (id: string) =>
  (await db.query<{ owner: string | null }>('SELECT owner FROM connection.connections WHERE id = $1', [id])).rows[0]
    ?.owner;

beforeAll(async () => {
  env = await createTestEnv('conn_single_socket');
  emulator = await startEmulator();
  redisOfA = await startTcpProxy(env.redisUrl);
  db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  consumer = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'webhook-delivery',
    namespace: env.namespace,
    logger,
  });
  await consumer.subscribe('single-socket-test', [on(WhatsAppEvent, async (p) => void published.push(p))]);
}, 60_000);

afterAll(async () => {
  for (const r of replicas) await r.stop().catch(() => undefined);
  await client?.close();
  await consumer?.close();
  await db?.end();
  await redisOfA?.close();
  await emulator?.close();
  // Leases and the replica set live under this file's Redis prefix; env.cleanup() does not touch Redis.
  const redis = createClient({ url: env.redisUrl });
  await redis.connect();
  const keys = await redis.keys(`${env.redisPrefix}*`);
  if (keys.length) await redis.del(keys);
  await redis.close();
  await env?.cleanup();
});

describe('single socket per session', () => {
  it('a replica that loses its lease while alive closes its socket before another replica opens one', async () => {
    const a = await startReplica('replica-a', redisOfA.url(env.redisUrl));
    const { id } = await client.request(CreateConnection, { userId, name: 'single' });
    const qr = await waitFor(
      async () => ((await askOwner(client, id, 'qr')) as { raw?: string } | null | undefined)?.raw,
      'the QR on replica A',
      30_000,
      200,
    );
    const { phone } = await emulator.scan(qr);
    await waitFor(() => emulator.socketsOpen(phone) === 1 && a.sessions.held().includes(id), 'A connected');
    expect(await ownerOf(id)).toBe('replica-a');
    const socketOfA = emulator.socketCount(phone).history.at(-1)!;
    expect(socketOfA.event).toBe('open');

    // B joins: with one session and two replicas the fair share is 1 each, so A keeps it and B waits.
    const b = await startReplica('replica-b', env.redisUrl);
    await new Promise((r) => setTimeout(r, LEASE_MS)); // three of B's claim rounds
    expect(b.sessions.held()).toEqual([]);
    expect(emulator.socketsOpen(phone)).toBe(1);

    // A's Redis goes away; A itself keeps running (broker, Postgres, its socket) but cannot renew.
    const cutAt = Date.now();
    redisOfA.cut();
    await waitFor(() => b.sessions.held().includes(id), 'B took the lease over', LEASE_MS * 4, 50);
    const opened = () => emulator.socketCount(phone).history.filter((e) => e.event === 'open');
    await waitFor(() => opened().some((e) => e.connection !== socketOfA.connection), 'B logged in');
    expect(a.sessions.held()).toEqual([]);
    expect(Date.now() - cutAt).toBeLessThan(LEASE_MS * 4);
    await waitFor(async () => (await ownerOf(id)) === 'replica-b', 'owner column says B');

    // The emulator never saw two sockets of this account at once, and A's closed before B's opened.
    const census = emulator.socketCount(phone);
    expect(census.maxConcurrent).toBe(1);
    const sinceA = census.history.slice(
      census.history.findIndex((e) => e.event === 'open' && e.connection === socketOfA.connection),
    );
    expect(sinceA.map((e) => [e.event, e.open])).toEqual([
      ['open', 1],
      ['close', 0],
      ['open', 1],
    ]);
    const [openA, closeA, openB] = sinceA;
    expect(openA!.connection).toBe(socketOfA.connection);
    expect(closeA!.connection).toBe(socketOfA.connection);
    expect(openB!.connection).not.toBe(socketOfA.connection);
    expect(openB!.at).toBeGreaterThanOrEqual(closeA!.at);
    expect(emulator.socketsOpen(phone)).toBe(1);

    // B's socket works: a message sent now arrives, and is published.
    const { id: msgId } = await emulator.inbound({ to: phone, from: '15557654321', type: 'text', text: 'after' });
    await waitFor(
      () =>
        published.some(
          (p) => p.connectionId === id && p.event === 'message' && (p.payload as { id: string }).id.endsWith(msgId),
        ),
      'the message through B',
    );

    // A's Redis comes back: A sees B holds the lease and stays off; still one socket, never two.
    redisOfA.restore();
    await new Promise((r) => setTimeout(r, LEASE_MS));
    expect(a.sessions.held()).toEqual([]);
    expect(b.sessions.held()).toEqual([id]);
    expect(emulator.socketsOpen(phone)).toBe(1);
    expect(emulator.maxConcurrentSockets(phone)).toBe(1);
  }, 120_000);
});
