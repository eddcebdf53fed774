/** Session-owned commands: only the instance that binds a key answers for it; nobody holding it is 503 at once. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { AppError, defineCommand, Exchanges } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { connectBroker, connectionName, handle, type Broker, type RoutedServer } from '../src/index.js';
import { killConnection, waitFor } from './support.js';

const WhoAmI = defineCommand({
  name: 'connection.test.whoami',
  version: 1,
  request: z.object({ connectionId: z.string() }),
  reply: z.object({ instance: z.string(), connectionId: z.string() }),
  summary: 'test: which instance holds this connection',
});

let env: TestEnv;
let client: Broker;
let a: Broker;
let b: Broker;
let routesA: RoutedServer;
let routesB: RoutedServer;
const logger = createLogger('test', 'fatal');

const whoami = (broker: Broker) =>
  handle(WhoAmI, async (req) => ({ instance: broker.instanceId, connectionId: req.connectionId }));
const ask = (connectionId: string) =>
  client.request(WhoAmI, { connectionId }, { exchange: Exchanges.sessions, routingKey: connectionId, timeoutMs: 2000 });

beforeAll(async () => {
  env = await createTestEnv('broker-routed', { database: false });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  a = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'connection',
    namespace: env.namespace,
    instanceId: 'a',
    logger,
  });
  b = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'connection',
    namespace: env.namespace,
    instanceId: 'b',
    logger,
  });
  routesA = await a.serveRouted([whoami(a)]);
  routesB = await b.serveRouted([whoami(b)]);
});

afterAll(async () => {
  await Promise.all([client?.close(), a?.close(), b?.close()]);
  await env?.cleanup();
});

describe('routed (session-owned) commands', () => {
  it('reach the instance that holds the key, and only it', async () => {
    await routesA.bind('c1');
    await routesB.bind('c2');
    expect(await ask('c1')).toEqual({ instance: 'a', connectionId: 'c1' });
    expect(await ask('c2')).toEqual({ instance: 'b', connectionId: 'c2' });
    expect(routesA.keys()).toEqual(['c1']);
  });

  it('a key nobody holds is 503 at once', async () => {
    const started = Date.now();
    const err = (await client
      .request(WhoAmI, { connectionId: 'c3' }, { exchange: Exchanges.sessions, routingKey: 'c3', timeoutMs: 20_000 })
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.statusCode).toBe(503);
    expect(err.message).not.toMatch(/did not answer within/);
    expect(err.headers?.['Retry-After']).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5000); // long before the 20 s deadline: it did not wait for it
  });

  it('moves with unbind/bind', async () => {
    await routesA.unbind('c1');
    expect(((await ask('c1').catch((e: unknown) => e)) as AppError).statusCode).toBe(503);
    await routesB.bind('c1');
    expect(await ask('c1')).toEqual({ instance: 'b', connectionId: 'c1' });
  });

  it('held keys are re-bound after the connection is killed', async () => {
    await routesA.bind('c9');
    await killConnection(connectionName('connection', 'a', env.namespace));
    await waitFor(
      async () =>
        ask('c9').then(
          () => true,
          () => false,
        ),
      15_000,
      100,
    );
    expect(await ask('c9')).toEqual({ instance: 'a', connectionId: 'c9' });
  });
});
