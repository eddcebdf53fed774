/**
 * connection.connection.created/deleted go through the outbox: create and delete succeed while the publish
 * path is cut, and the events arrive once, in order, after it returns, even though no replica holds the
 * connection's session.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { ConnectionCreated, ConnectionDeleted, CreateConnection, DeleteConnection } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, startTcpProxy, type TcpProxy, type TestEnv } from '@wahooks/testing';
import { connectionCommands } from '../src/commands/connection-commands.js';
import type { Sql } from '@wahooks/db';
import { startOutboxRelay, type OutboxRelay } from '../src/outbox/outbox-relay.js';
import { openConnectionDatabase, type ConnectionDatabase } from './support/database.js';

const logger = createLogger('test', 'silent');
let env: TestEnv;
let database: ConnectionDatabase;
let sql: Sql;
let proxy: TcpProxy;
let rpc: Broker; // receives the commands (directly)
let pub: Broker; // the publish path, through the proxy
let client: Broker;
let consumer: Broker;
let relay: OutboxRelay;
const received: { type: string; connectionId: string; userId: string }[] = [];

async function waitFor(cond: () => boolean, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventsOf = (id: string) => received.filter((e) => e.connectionId === id).map((e) => e.type);

beforeAll(async () => {
  env = await createTestEnv('conn_lifecycle');
  database = await openConnectionDatabase(env.databaseUrl);
  sql = database.sql;
  proxy = await startTcpProxy(env.rabbitmqUrl);
  const base = { service: 'connection' as const, namespace: env.namespace, logger };
  rpc = await connectBroker({ ...base, url: env.rabbitmqUrl });
  pub = await connectBroker({ ...base, url: proxy.url(env.rabbitmqUrl), publishWaitMs: 500 });
  // The commands talk to owners over `rpc` but publish over `pub`, whose link the test cuts.
  const commandsBroker = new Proxy(rpc, {
    get(target, key) {
      if (key === 'publish') return pub.publish.bind(pub);
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  // A replica that holds no session: lifecycle rows must be relayed anyway.
  relay = startOutboxRelay({ sql, broker: pub, logger, idleMs: 100, retryMs: 200, connections: () => [] });
  await rpc.serve(connectionCommands({ sql, broker: commandsBroker, kickRelay: () => relay.kick() }));
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  consumer = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'webhook-delivery',
    namespace: env.namespace,
    logger,
  });
  await consumer.subscribe('lifecycle-test', [
    on(ConnectionCreated, async (e) => void received.push({ type: 'created', ...e })),
    on(ConnectionDeleted, async (e) => void received.push({ type: 'deleted', ...e })),
  ]);
}, 60_000);

afterEach(() => proxy.restore()); // a failed test must not leave the publish path cut

afterAll(async () => {
  await relay?.stop();
  await client?.close();
  await consumer?.close();
  await rpc?.close();
  await pub?.close();
  await proxy?.close();
  await database?.close();
  await env?.cleanup();
});

describe('lifecycle events through the outbox', () => {
  it('creates while the publish path is cut; the created event arrives once when it returns', async () => {
    const userId = randomUUID();
    proxy.cut();
    const view = await client.request(CreateConnection, { userId, name: 'outage' });
    expect(view.status).toBe('pending');
    const [row] = await sql.query<{ event_type: string; sent_at: Date | null }>(
      'SELECT event_type, sent_at FROM connection.outbox WHERE connection_id = $1',
      [view.id],
    );
    expect(row).toEqual({ event_type: ConnectionCreated.type, sent_at: null });
    await sleep(500);
    expect(eventsOf(view.id)).toEqual([]);

    proxy.restore();
    await waitFor(() => eventsOf(view.id).length > 0, 20_000, 'created event');
    await relay.drained();
    await sleep(300);
    expect(received.filter((e) => e.connectionId === view.id)).toEqual([
      { type: 'created', connectionId: view.id, userId },
    ]);
  }, 60_000);

  it('deletes while the publish path is cut; created then deleted arrive once each, in order', async () => {
    const userId = randomUUID();
    proxy.cut();
    const view = await client.request(CreateConnection, { userId });
    const deleted = await client.request(DeleteConnection, { userId, connectionId: view.id });
    expect(deleted.status).toBe('stopped');
    await client.request(DeleteConnection, { userId, connectionId: view.id }); // again: no second event
    await sleep(300);
    expect(eventsOf(view.id)).toEqual([]);

    proxy.restore();
    await waitFor(() => eventsOf(view.id).length >= 2, 20_000, 'created and deleted events');
    await relay.drained();
    await sleep(300);
    expect(eventsOf(view.id)).toEqual(['created', 'deleted']);
  }, 60_000);

  it('two replicas relaying lifecycle rows publish each one once', async () => {
    // A second replica, also holding no session, with its own publish connection.
    const other = startOutboxRelay({ sql, broker: rpc, logger, idleMs: 20, retryMs: 200, connections: () => [] });
    try {
      const userId = randomUUID();
      const views = await Promise.all(Array.from({ length: 30 }, () => client.request(CreateConnection, { userId })));
      const ids = new Set(views.map((v) => v.id));
      await waitFor(
        () => new Set(received.filter((e) => ids.has(e.connectionId)).map((e) => e.connectionId)).size === 30,
        20_000,
        '30 created events',
      );
      await Promise.all([relay.drained(), other.drained()]);
      await sleep(300);
      expect(received.filter((e) => ids.has(e.connectionId))).toHaveLength(30);
    } finally {
      await other.stop();
    }
  }, 60_000);
});
