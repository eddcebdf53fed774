/** RPC over direct reply-to against the real RabbitMQ: typed replies, errors passed through unchanged, validation. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { AppError, defineCommand, pingCommand, unavailable } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { connectBroker, handle, type Broker } from '../src/index.js';
import { Echo } from './support.js';

let env: TestEnv;
let server: Broker;
let client: Broker;

// Same name, looser request schema: lets a request the server's schema refuses reach the server.
const LaxEcho = defineCommand({ ...Echo, request: z.object({ text: z.string() }), reply: Echo.reply });

beforeAll(async () => {
  env = await createTestEnv('broker-rpc', { database: false });
  server = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'token',
    namespace: env.namespace,
    instanceId: 'srv-1',
    logger: createLogger('test', 'fatal'), // the crash test logs an error on purpose
  });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
  await server.serve([
    handle(Echo, async (req) => {
      if (req.fail === 'app') throw new AppError(404, 'token not found');
      if (req.fail === 'retry-after') throw unavailable('busy', 7);
      if (req.fail === 'crash') throw new Error('database exploded: secret details');
      return { echoed: req.text, at: 1 };
    }),
  ]);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await env?.cleanup();
});

describe('rpc', () => {
  it('round-trips a typed reply', async () => {
    const reply = await client.request(Echo, { text: 'hello' });
    expect(reply).toEqual({ echoed: 'hello', at: 1 });
  });

  it('handles many concurrent calls, each with its own reply', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const replies = await Promise.all(texts.map((text) => client.request(Echo, { text })));
    expect(replies.map((r) => r.echoed)).toEqual(texts);
  });

  it('passes an AppError through unchanged', async () => {
    const err = (await client.request(Echo, { text: 'x', fail: 'app' }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'token not found' });
  });

  it('carries the extra HTTP headers of an AppError (Retry-After)', async () => {
    const err = (await client.request(Echo, { text: 'x', fail: 'retry-after' }).catch((e: unknown) => e)) as AppError;
    expect(err.statusCode).toBe(503);
    expect(err.headers).toEqual({ 'Retry-After': '7' });
  });

  it('turns any other handler error into a generic 500 without leaking details', async () => {
    const err = (await client.request(Echo, { text: 'x', fail: 'crash' }).catch((e: unknown) => e)) as AppError;
    expect(err.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
  });

  it('rejects an invalid request with 400 before sending it', async () => {
    const err = (await client.request(Echo, { text: '' }).catch((e: unknown) => e)) as AppError;
    expect(err.statusCode).toBe(400);
    expect(err.error).toBe('Bad Request');
    expect(String(err.body.message)).toMatch(/text/);
  });

  it('answers 400 when the server refuses a request its schema does not accept', async () => {
    const err = (await client.request(LaxEcho, { text: '' }).catch((e: unknown) => e)) as AppError;
    expect(err.statusCode).toBe(400);
    expect(String(err.body.message)).toMatch(/text/);
  });

  it('answers the ping automatically', async () => {
    const pong = await client.request(pingCommand('token'), {});
    expect(pong.service).toBe('token');
    expect(pong.instance).toBe('srv-1');
    expect(pong.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(pong.database).toBeUndefined(); // this one reports no dependencies
  });

  it("adds the service's own health report (its database) to the ping", async () => {
    let database = { status: 'ok' as 'ok' | 'error', latency: 1, error: undefined as string | undefined };
    const billing = await connectBroker({
      url: env.rabbitmqUrl,
      service: 'billing',
      namespace: env.namespace,
      instanceId: 'billing-1',
      health: async () => ({ database }),
    });
    try {
      await billing.serve([]);
      expect(await client.request(pingCommand('billing'), {})).toMatchObject({
        service: 'billing',
        instance: 'billing-1',
        database: { status: 'ok', latency: 1 },
      });
      database = { status: 'error', latency: 3, error: 'connect ECONNREFUSED 127.0.0.1:5432' };
      expect((await client.request(pingCommand('billing'), {})).database).toEqual(database);
    } finally {
      await billing.close();
    }
  });
});
