/**
 * The connection service's Prometheus metrics, scraped over HTTP from a /metrics server in this process (main.ts
 * runs the same on METRICS_PORT): sessions by status as a session goes scan_qr → working, the RPC handler
 * durations of its commands, and the outbox backlog of its table. One replica on the real Postgres/RabbitMQ/Redis
 * and the WhatsApp emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateConnection } from '@wahooks/contracts';
import { startMetricsServer, type MetricsServer } from '@wahooks/metrics';
import { createTestEnv, metricValue, scrapeMetrics, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { askOwner } from '../src/commands/session-client.js';
import { ConnectionEnv } from '../src/config.js';
import { startConnectionService, type ConnectionService } from '../src/service.js';
import { logger, waitFor } from './support/emulated.js';

let env: TestEnv;
let emulator: Emulator;
let client: Broker; // plays the gateway
let service: ConnectionService;
let metrics: MetricsServer;
let connectionId = '';
const userId = randomUUID();

const scrape = () => scrapeMetrics(metrics.port!);
const sessions = async (status: string) => metricValue(await scrape(), 'connection_sessions', { status });

beforeAll(async () => {
  env = await createTestEnv('conn_metrics');
  emulator = await startEmulator();
  metrics = await startMetricsServer({ port: 0, host: '127.0.0.1' });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  const config = parseConfig(ConnectionEnv, {
    ...env.serviceEnv,
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: '3000',
  });
  service = await startConnectionService(config, { logger, instanceId: 'metrics-replica' });
}, 60_000);

afterAll(async () => {
  await service?.stop().catch(() => undefined);
  await client?.close();
  await emulator?.close();
  await metrics?.close();
  const redis = createClient({ url: env.redisUrl });
  await redis.connect();
  const keys = await redis.keys(`${env.redisPrefix}*`);
  if (keys.length) await redis.del(keys);
  await redis.close();
  await env?.cleanup();
});

describe('connection metrics', () => {
  it('sessions by status count a new session in scan_qr; commands and the outbox are measured', async () => {
    expect(await sessions('working')).toBe(0); // every status is reported, 0 included
    const { id } = await client.request(CreateConnection, { userId, name: 'metrics' });
    const qr = await waitFor(
      async () => ((await askOwner(client, id, 'qr')) as { raw?: string } | null | undefined)?.raw,
      'the QR',
      30_000,
      200,
    );
    expect(qr).toBeTruthy();
    await waitFor(async () => (await sessions('scan_qr')) === 1, 'scan_qr counted');
    expect(await sessions('working')).toBe(0);
    connectionId = id;

    const text = await scrape();
    expect(
      metricValue(text, 'broker_rpc_server_duration_seconds_count', {
        command: CreateConnection.name,
        outcome: 'ok',
      }),
    ).toBe(1);
    // The status events went out through the outbox: the backlog is reported for its table, and drains.
    await waitFor(
      async () => metricValue(await scrape(), 'outbox_backlog_rows', { table: 'connection.outbox' }) === 0,
      'the outbox drained',
    );
    expect(metricValue(await scrape(), 'outbox_published_total', { table: 'connection.outbox' })).toBeGreaterThan(0);
  });

  it('a scanned session counts as working', async () => {
    const qr = await waitFor(
      async () => ((await askOwner(client, connectionId, 'qr')) as { raw?: string } | null | undefined)?.raw,
      'a fresh QR',
      30_000,
      200,
    );
    await emulator.scan(qr);
    await waitFor(async () => (await sessions('working')) === 1, 'working counted', 30_000, 200);
    expect(await sessions('scan_qr')).toBe(0);
  });
});
