/**
 * The cheap-topology pieces: exclusive queues typed classic (never the vhost's default type), the namespaced-name
 * registry test clean-up falls back on, and retireQueue (the upgrade path for a queue replaced under a new name).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, queueExists, queueMessageCount, type TestEnv } from '@wahooks/testing';
import { connectBroker, exclusiveQueueOptions, type Broker } from '../src/index.js';
import { namespacedNamer } from '../src/topology.js';

let env: TestEnv;
let broker: Broker;
const logger = createLogger('test', 'fatal');
const registry = () =>
  (globalThis as Record<symbol, Map<string, Set<string>> | undefined>)[Symbol.for('wahooks.broker.namespacedNames')];

beforeAll(async () => {
  env = await createTestEnv('broker-topology', { database: false });
  broker = await connectBroker({ url: env.rabbitmqUrl, service: 'webhook-delivery', namespace: env.namespace, logger });
});
afterAll(async () => {
  await broker?.close();
  await env?.cleanup();
});

describe('topology', () => {
  it('types exclusive queues classic, which a server-named queue must be', async () => {
    expect(exclusiveQueueOptions().arguments).toEqual({ 'x-queue-type': 'classic' });
    let declared = '';
    await broker.addSetup(async (ch) => {
      declared = (await ch.assertQueue('', exclusiveQueueOptions())).queue;
    });
    expect(declared).toMatch(/^amq\.gen-/);
  });

  it('records the names a namespaced broker used, and nothing without a namespace', () => {
    const name = namespacedNamer('t_rec_1.');
    expect(name('a:b')).toBe('t_rec_1.a:b');
    expect([...(registry()?.get('t_rec_1.') ?? [])]).toEqual(['t_rec_1.a:b']);
    expect(namespacedNamer('')('prod:queue')).toBe('prod:queue');
    expect(registry()?.has('')).toBe(false);
    expect(registry()?.get(env.namespace)?.has(`${env.namespace}wahooks.events`)).toBe(true); // connectBroker's
    registry()?.delete('t_rec_1.');
  });
});

describe('retireQueue', () => {
  const quorum = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

  it('absent: nothing to do', async () => {
    expect(await broker.retireQueue('never:declared')).toEqual({ state: 'absent', moved: 0 });
  });

  it('keeps a quorum queue that holds messages or has a consumer, and the connection survives', async () => {
    await broker.addSetup(async (ch) => void (await ch.assertQueue(broker.name('old:busy'), quorum)));
    await broker.publishRaw('', 'old:busy', Buffer.from('{}'));
    expect(await broker.retireQueue('old:busy')).toEqual({ state: 'kept', moved: 0, messages: 1, consumers: 0 });
    expect(broker.isConnected()).toBe(true); // the connection survived
    await broker.consumeRaw('old:busy', async () => 'ack');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const outcome = await broker.retireQueue('old:busy');
    expect(outcome).toMatchObject({ state: 'kept', messages: 0, consumers: 1 }); // a consumer still reads it
  });

  it('moves ready messages to the replacement, then deletes the old queue', async () => {
    await broker.addSetup(async (ch) => {
      await ch.assertQueue(broker.name('old:parked'), quorum);
      await ch.assertQueue(broker.name('new:parked'), { durable: true, arguments: { 'x-queue-type': 'classic' } });
    });
    for (let i = 0; i < 3; i++) await broker.publishRaw('', 'old:parked', Buffer.from(`{"n":${i}}`));
    expect(await broker.retireQueue('old:parked', { moveTo: 'new:parked' })).toEqual({ state: 'deleted', moved: 3 });
    expect(await queueExists(env.rabbitmqUrl, broker.name('old:parked'))).toBe(false);
    expect(await queueMessageCount(env.rabbitmqUrl, broker.name('new:parked'))).toBe(3);
  });
});
