/**
 * Handlers that wait without holding a slot (`ctx.withoutSlot`), and why a call failed (`rpcFailureOf`), against
 * the real RabbitMQ.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { AppError, defineCommand, Exchanges } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { connectBroker, handle, rpcFailureOf, type Broker } from '../src/index.js';

const Wait = defineCommand({
  name: 'messaging.test.wait',
  version: 1,
  request: z.object({ ms: z.number().int(), outside: z.boolean() }),
  reply: z.object({ waited: z.number() }),
  summary: 'test: wait ms, inside or outside the handler slot',
});
const Held = defineCommand({
  name: 'connection.test.held',
  version: 1,
  request: z.object({ key: z.string() }),
  reply: z.object({ ok: z.boolean() }),
  summary: 'test: routed by key',
});

let env: TestEnv;
let server: Broker;
let client: Broker;
const logger = createLogger('test', 'fatal');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  env = await createTestEnv('broker-slots', { database: false });
  // prefetch 1: one handler slot in this replica.
  server = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'messaging',
    namespace: env.namespace,
    prefetch: 1,
    logger,
  });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  await server.serve([
    handle(Wait, async ({ ms, outside }, ctx) => {
      const started = Date.now();
      if (outside) await ctx.withoutSlot!(() => sleep(ms));
      else await sleep(ms);
      return { waited: Date.now() - started };
    }),
  ]);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await env?.cleanup();
});

describe('withoutSlot', () => {
  it('a handler waiting outside its slot does not delay the next request (one slot)', async () => {
    const long = client.request(Wait, { ms: 3000, outside: true }, { timeoutMs: 10_000 });
    await sleep(200); // the long one holds… nothing while it sleeps
    const started = Date.now();
    await client.request(Wait, { ms: 0, outside: false }, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await long).waited).toBeGreaterThanOrEqual(2900);
  });

  it('without it, the one slot is held for the whole wait (the contrast)', async () => {
    const long = client.request(Wait, { ms: 2000, outside: false }, { timeoutMs: 10_000 });
    await sleep(200);
    const started = Date.now();
    await client.request(Wait, { ms: 0, outside: false }, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    await long;
  });
});

describe('rpcFailureOf', () => {
  it('unroutable, timeout and answered errors are told apart; all stay AppError 503', async () => {
    const unroutable = await client
      .request(Held, { key: 'k' }, { exchange: Exchanges.sessions, routingKey: 'nobody-holds-this' })
      .catch((e: unknown) => e);
    expect(unroutable).toBeInstanceOf(AppError);
    expect((unroutable as AppError).statusCode).toBe(503);
    expect(rpcFailureOf(unroutable)).toBe('unroutable');

    const timeout = await client
      .request(Wait, { ms: 1500, outside: true }, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect((timeout as AppError).statusCode).toBe(503);
    expect(rpcFailureOf(timeout)).toBe('timeout');

    expect(rpcFailureOf(new AppError(503, 'an answer from the server'))).toBeUndefined();
    expect(rpcFailureOf(undefined)).toBeUndefined();
  });
});
