/**
 * The connection is closed from the RabbitMQ side (rabbitmqctl close_connection, as an operator or a network
 * failure would): each broker reconnects, re-declares its topology, resumes its consumers and serves again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { connectBroker, connectionName, handle, on, type Broker } from '../src/index.js';
import { closeConnections, Echo, findConnections, ItemCreated, killConnection, waitFor } from './support.js';

let env: TestEnv;
let server: Broker;
let client: Broker;
const logger = createLogger('test', 'fatal');
const durable: string[] = [];
const fanOut: string[] = [];
let setupRuns = 0;

beforeAll(async () => {
  env = await createTestEnv('broker-reconnect', { database: false });
  server = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'token',
    namespace: env.namespace,
    instanceId: 'srv',
    logger,
  });
  client = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'gateway',
    namespace: env.namespace,
    instanceId: 'cli',
    logger,
  });
  await server.serve([
    handle(Echo, async (req) => {
      if (req.text === 'slow') await new Promise((r) => setTimeout(r, 4000));
      return { echoed: req.text, at: 0 };
    }),
  ]);
  await server.subscribe('durable', [on(ItemCreated, async (p) => void durable.push(p.itemId))]);
  await server.subscribe('fan-out', [on(ItemCreated, async (p) => void fanOut.push(p.itemId))], { exclusive: true });
  await server.addSetup(async () => void setupRuns++);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await env?.cleanup();
});

describe('connection killed from the broker side', () => {
  it('heals: the next request succeeds and subscriptions keep consuming', async () => {
    expect(await client.request(Echo, { text: 'before' })).toEqual({ echoed: 'before', at: 0 });
    await client.publish(ItemCreated, { itemId: 'before', n: 1 });
    await waitFor(() => durable.includes('before') && fanOut.includes('before'));
    expect(setupRuns).toBe(1);

    const killed = await killConnection(connectionName('token', 'srv', env.namespace));
    expect(killed).toBe(1);
    await waitFor(() => setupRuns === 2, 15_000); // user setups re-run on reconnect
    await waitFor(() => server.isConnected(), 15_000);

    expect(await client.request(Echo, { text: 'after' })).toEqual({ echoed: 'after', at: 0 });
    await client.publish(ItemCreated, { itemId: 'after', n: 2 });
    await waitFor(() => durable.includes('after') && fanOut.includes('after'));
  });

  it('heals the calling side too; while it is down calls fail fast with 503', async () => {
    const pids = await findConnections(connectionName('gateway', 'cli', env.namespace));
    const kill = closeConnections(pids);
    await waitFor(() => !client.isConnected(), 10_000, 5); // reconnecting takes >= 160 ms: we see the gap
    const started = Date.now();
    const err = (await client
      .request(Echo, { text: 'down' }, { timeoutMs: 20_000 })
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.statusCode).toBe(503); // had it waited for the reconnect, it would have been answered
    expect(err.message).toMatch(/message broker is not connected/);
    expect(Date.now() - started).toBeLessThan(5000); // and it did not wait for its 20 s deadline
    await kill;
    await waitFor(() => client.isConnected(), 15_000);
    expect(await client.request(Echo, { text: 'again' })).toEqual({ echoed: 'again', at: 0 });
  });

  it('a call in flight when the connection drops fails with 503 at once, not at its deadline', async () => {
    const pids = await findConnections(connectionName('gateway', 'cli', env.namespace));
    const started = Date.now();
    const call = client.request(Echo, { text: 'slow' }, { timeoutMs: 10_000 }).catch((e: unknown) => e as AppError);
    await new Promise((r) => setTimeout(r, 200));
    await closeConnections(pids);
    const err = await call;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).statusCode).toBe(503);
    expect((err as AppError).message).toMatch(/connection to the message broker was lost/);
    expect(Date.now() - started).toBeLessThan(4000); // before the handler could have answered
    await waitFor(() => client.isConnected(), 15_000);
  });

  it('a publish during the outage waits for the reconnect and is delivered', async () => {
    const kill = killConnection(connectionName('gateway', 'cli', env.namespace));
    await waitFor(() => !client.isConnected(), 10_000, 5);
    await client.publish(ItemCreated, { itemId: 'during', n: 3 });
    await waitFor(() => durable.includes('during'));
    await kill;
  });
});
