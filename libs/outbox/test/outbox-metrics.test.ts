/**
 * The outbox's metrics on the real Postgres and RabbitMQ, scraped over HTTP: the backlog gauge counts unsent rows
 * while the broker is cut off and drops to 0 once they are out; published rows and failed rounds are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { connectBroker, type Broker } from '@wahooks/broker';
import { defineEvent } from '@wahooks/contracts';
import { closeDatabase, openDatabase, sqlOf, type DataSource, type Sql } from '@wahooks/db';
import { startMetricsServer, type MetricsServer } from '@wahooks/metrics';
import { createLogger } from '@wahooks/telemetry';
import {
  createTestEnv,
  metricValue,
  scrapeMetrics,
  startTcpProxy,
  type TcpProxy,
  type TestEnv,
} from '@wahooks/testing';
import { outboxEntry, outboxMigration, startOutboxRelay, writeOutbox, type OutboxRelay } from '../src/index.js';

const Counted = defineEvent({
  type: 'token.outbox-metrics.counted',
  version: 1,
  payload: z.object({ n: z.number().int() }),
  summary: 'test: an outbox row',
});

const logger = createLogger('test', 'silent');
let env: TestEnv;
let db: DataSource;
let sql: Sql;
let proxy: TcpProxy;
let producer: Broker;
let relay: OutboxRelay;
let metrics: MetricsServer;

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const value = async (name: string) => metricValue(await scrapeMetrics(metrics.port!), name, { table: 'outbox' });

beforeAll(async () => {
  env = await createTestEnv('outbox-metrics');
  db = await openDatabase({
    url: env.databaseUrl,
    schema: 'outbox_metrics',
    migrations: [outboxMigration(1764270000000)],
  });
  sql = sqlOf(db);
  proxy = await startTcpProxy(env.rabbitmqUrl);
  producer = await connectBroker({
    url: proxy.url(env.rabbitmqUrl),
    service: 'token',
    namespace: env.namespace,
    logger,
    publishWaitMs: 300,
  });
  metrics = await startMetricsServer({ port: 0, host: '127.0.0.1' });
  relay = startOutboxRelay({
    sql,
    broker: producer,
    logger,
    events: [Counted],
    idleMs: 100,
    retryMs: 100,
    maxRetryMs: 300,
  });
}, 60_000);

afterAll(async () => {
  proxy?.restore();
  await relay?.stop();
  await producer?.close();
  await proxy?.close();
  await metrics?.close();
  if (db) await closeDatabase(db);
  await env?.cleanup();
});

describe('outbox metrics', () => {
  it('backlog counts unsent rows during a broker outage and returns to 0; published and failures count', async () => {
    await relay.drained();
    expect(await value('outbox_backlog_rows')).toBe(0);
    proxy.cut();
    await sql.transaction((tx) =>
      writeOutbox(
        tx,
        [0, 1, 2].map((n) => outboxEntry(Counted, { n })),
      ),
    );
    relay.kick();
    expect(await value('outbox_backlog_rows')).toBe(3);
    await waitFor(async () => ((await value('outbox_relay_failures_total')) ?? 0) > 0, 15_000, 'a failed round');
    proxy.restore();
    await waitFor(async () => (await value('outbox_backlog_rows')) === 0, 30_000, 'the backlog to drain');
    expect(await value('outbox_published_total')).toBe(3);
  });

  it('a stopped relay no longer reports its backlog', async () => {
    await relay.stop();
    expect(await value('outbox_backlog_rows')).toBeUndefined();
  });
});
