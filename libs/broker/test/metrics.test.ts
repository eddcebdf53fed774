/**
 * The broker's Prometheus metrics against a real RabbitMQ: RPC outcomes and timeouts on the client, handler
 * durations on the server, consumed messages and handler errors by queue, reconnects. Scraped over HTTP from
 * the /metrics server, as Prometheus would.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '@wahooks/contracts';
import { startMetricsServer, type MetricsServer } from '@wahooks/metrics';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, metricValue, scrapeMetrics, type TestEnv } from '@wahooks/testing';
import { connectBroker, connectionName, handle, on, type Broker } from '../src/index.js';
import { Echo, ItemCreated, ItemPoisoned, killConnection, waitFor } from './support.js';

let env: TestEnv;
let server: Broker;
let client: Broker;
let metrics: MetricsServer;
const logger = createLogger('test', 'fatal');
const seen: string[] = [];
let poisonRuns = 0;

const scrape = () => scrapeMetrics(metrics.port!);

beforeAll(async () => {
  env = await createTestEnv('broker-metrics', { database: false });
  metrics = await startMetricsServer({ port: 0, host: '127.0.0.1' });
  server = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
  client = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'gateway',
    namespace: env.namespace,
    instanceId: 'metrics-cli',
    logger,
  });
  await server.serve([
    handle(Echo, async (req) => {
      if (req.text === 'slow') await new Promise((r) => setTimeout(r, 1500));
      if (req.fail === 'app') throw new AppError(404, 'not found');
      if (req.fail === 'crash') throw new Error('boom');
      return { echoed: req.text, at: 0 };
    }),
  ]);
  await server.subscribe(
    'items',
    [
      on(ItemCreated, async (p) => void seen.push(p.itemId)),
      on(ItemPoisoned, async () => {
        poisonRuns++;
        throw new Error('poisoned');
      }),
    ],
    { maxAttempts: 2, retryBackoffMs: 10 },
  );
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await metrics?.close();
  await env?.cleanup();
});

const clientSeconds = 'broker_rpc_client_duration_seconds_count';
const serverSeconds = 'broker_rpc_server_duration_seconds_count';

describe('broker metrics', () => {
  it('RPC: client outcomes ok/4xx/5xx/timeout with a timeout count, server durations by command and outcome', async () => {
    const command = Echo.name;
    await client.request(Echo, { text: 'hi' });
    await client.request(Echo, { text: 'hi' });
    await expect(client.request(Echo, { text: 'x', fail: 'app' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(client.request(Echo, { text: 'x', fail: 'crash' })).rejects.toMatchObject({ statusCode: 500 });
    await expect(client.request(Echo, { text: 'slow' }, { timeoutMs: 200 })).rejects.toMatchObject({
      statusCode: 503,
    });
    await waitFor(async () => metricValue(await scrape(), serverSeconds, { command, outcome: 'ok' }) === 3); // slow ends

    const text = await scrape();
    expect(metricValue(text, clientSeconds, { command, outcome: 'ok' })).toBe(2);
    expect(metricValue(text, clientSeconds, { command, outcome: '4xx' })).toBe(1);
    expect(metricValue(text, clientSeconds, { command, outcome: '5xx' })).toBe(1);
    expect(metricValue(text, clientSeconds, { command, outcome: 'timeout' })).toBe(1);
    expect(metricValue(text, 'broker_rpc_client_timeouts_total', { command })).toBe(1);
    expect(metricValue(text, 'broker_rpc_server_duration_seconds_count', { command, outcome: '4xx' })).toBe(1);
    expect(metricValue(text, 'broker_rpc_server_duration_seconds_count', { command, outcome: '5xx' })).toBe(1);
    // The slow one took ≥ 1.5 s on the server: its duration is in the histogram's sum.
    expect(metricValue(text, 'broker_rpc_server_duration_seconds_sum', { command, outcome: 'ok' })).toBeGreaterThan(1);
    // Each bucket series is cumulative and ends with +Inf = count.
    expect(metricValue(text, 'broker_rpc_client_duration_seconds_bucket', { command, outcome: 'ok', le: '+Inf' })).toBe(
      2,
    );
    // The command queue counts every request it delivered; the 5xx is one handler error there.
    const commandQueue = `${env.namespace}token:commands`;
    expect(metricValue(text, 'broker_messages_consumed_total', { queue: commandQueue })).toBeGreaterThanOrEqual(5);
    expect(metricValue(text, 'broker_handler_errors_total', { queue: commandQueue })).toBe(1);
  });

  it('events: messages consumed and handler errors by queue (each retry is a delivery and an error)', async () => {
    await client.publish(ItemCreated, { itemId: 'a', n: 1 });
    await client.publish(ItemCreated, { itemId: 'b', n: 2 });
    await client.publish(ItemPoisoned, { itemId: 'p' });
    await waitFor(() => seen.length === 2 && poisonRuns === 2);
    const queue = `${env.namespace}token:events:items`;
    await waitFor(async () => metricValue(await scrape(), 'broker_handler_errors_total', { queue }) === 2);
    expect(metricValue(await scrape(), 'broker_messages_consumed_total', { queue })).toBe(4);
  });

  it('reconnects are counted and broker_connected says 1 once healed', async () => {
    const before = metricValue(await scrape(), 'broker_reconnects_total') ?? 0;
    expect(metricValue(await scrape(), 'broker_connected')).toBe(1);
    expect(await killConnection(connectionName('gateway', 'metrics-cli', env.namespace))).toBe(1);
    await waitFor(async () => (metricValue(await scrape(), 'broker_reconnects_total') ?? 0) === before + 1, 20_000);
    await waitFor(async () => metricValue(await scrape(), 'broker_connected') === 1, 20_000);
    expect(await client.request(Echo, { text: 'after' })).toEqual({ echoed: 'after', at: 0 });
  });
});
