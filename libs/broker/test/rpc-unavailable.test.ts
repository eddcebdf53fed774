/** A call that cannot be answered is a 503 at once or within its deadline, never a hang. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { connectBroker, handle, type Broker } from '../src/index.js';
import { Echo } from './support.js';

let env: TestEnv;
let client: Broker;
const logger = createLogger('test', 'fatal');

beforeAll(async () => {
  env = await createTestEnv('broker-unavail', { database: false });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
});

afterAll(async () => {
  await client?.close();
  await env?.cleanup();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  );

describe('rpc to a service that cannot answer', () => {
  it('unroutable (no queue bound to the command): 503 with Retry-After at once', async () => {
    const started = Date.now();
    const err = await failure(client.request(Echo, { text: 'x' }, { timeoutMs: 20_000 }));
    expect(err).toBeInstanceOf(AppError);
    expect(err!.statusCode).toBe(503);
    expect(err!.message).toBe('token service is unavailable');
    expect(err!.headers?.['Retry-After']).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5000); // long before the 20 s deadline: it did not wait for it
  });

  it('queue exists but its server is stopped: 503 within the deadline', async () => {
    const server = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
    await server.serve([handle(Echo, async (req) => ({ echoed: req.text, at: 2 }))]);
    expect(await client.request(Echo, { text: 'up' })).toEqual({ echoed: 'up', at: 2 });
    await server.close();

    const deadline = 800;
    const started = Date.now();
    const err = await failure(client.request(Echo, { text: 'down' }, { timeoutMs: deadline }));
    const elapsed = Date.now() - started;
    expect(err!.statusCode).toBe(503);
    expect(err!.message).toBe(`token service did not answer within ${deadline} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(deadline - 50);
    expect(elapsed).toBeLessThan(deadline + 4000); // the deadline ended it, not something later
  });

  it('a server that comes back skips requests whose deadline has passed', async () => {
    const seen: string[] = [];
    await failure(client.request(Echo, { text: 'stale' }, { timeoutMs: 300 }));
    const server = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
    await server.serve([handle(Echo, async (req) => (seen.push(req.text), { echoed: req.text, at: 3 }))]);
    expect(await client.request(Echo, { text: 'fresh' })).toEqual({ echoed: 'fresh', at: 3 });
    expect(seen).toEqual(['fresh']);
    await server.close();
  });

  it('a closed broker fails fast with 503', async () => {
    const closed = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
    await closed.close();
    expect(closed.isConnected()).toBe(false);
    const started = Date.now();
    const err = await failure(closed.request(Echo, { text: 'x' }, { timeoutMs: 20_000 }));
    expect(err!.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000); // long before the 20 s deadline
  });

  it('connectBroker gives up with a clear error when RabbitMQ cannot be reached', async () => {
    await expect(
      connectBroker({ url: 'amqp://guest:secret@127.0.0.1:1', service: 'billing', connectRetries: 1, logger }),
    ).rejects.toThrow('cannot connect to RabbitMQ at amqp://guest:***@127.0.0.1:1');
  });
});
