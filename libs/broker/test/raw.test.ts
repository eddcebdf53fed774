/**
 * The low-level blocks webhook-delivery builds its retry ladder from: a setup declaring a delay queue whose TTL
 * dead-letters back to a work queue, confirmed raw publishes, raw consumers choosing each message's outcome.
 * Also: per-instance fan-out (exclusive queues) and close() waiting for in-flight handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queues } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { BrokerHeaders, connectBroker, on, type Broker } from '../src/index.js';
import { collect, header, ItemCreated, waitFor } from './support.js';

let env: TestEnv;
let broker: Broker;
const logger = createLogger('test', 'fatal');

beforeAll(async () => {
  env = await createTestEnv('broker-raw', { database: false });
  broker = await connectBroker({ url: env.rabbitmqUrl, service: 'webhook-delivery', namespace: env.namespace, logger });
});

afterAll(async () => {
  await broker?.close();
  await env?.cleanup();
});

describe('raw building blocks', () => {
  it('a delay queue with a TTL dead-letters back to the work queue; outcomes ack / requeue / deadLetter', async () => {
    const work = broker.name('webhook-delivery:delivery:attempt');
    const delay = broker.name('delay:300ms');
    await broker.addSetup(async (ch) => {
      await ch.assertQueue(work, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await ch.assertQueue(delay, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-message-ttl': 300,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': work,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
    });
    const seen: { body: string; at: number }[] = [];
    let requeued = false;
    await broker.consumeRaw('webhook-delivery:delivery:attempt', async (msg) => {
      const body = msg.content.toString();
      seen.push({ body, at: Date.now() });
      if (body === 'requeue-once' && !requeued) {
        requeued = true;
        return 'requeue';
      }
      if (body === 'park') return { deadLetter: 'gave up after the last rung' };
      return 'ack';
    });

    const sentAt = Date.now();
    await broker.publishRaw('', 'delay:300ms', Buffer.from('delayed'));
    await waitFor(() => seen.some((s) => s.body === 'delayed'));
    expect(seen.find((s) => s.body === 'delayed')!.at - sentAt).toBeGreaterThanOrEqual(250);

    await broker.publishRaw('', 'webhook-delivery:delivery:attempt', Buffer.from('requeue-once'));
    await waitFor(() => seen.filter((s) => s.body === 'requeue-once').length === 2);

    await broker.publishRaw('', 'webhook-delivery:delivery:attempt', Buffer.from('park'), { messageId: 'dlv_1' });
    const [dead] = await collect(env.rabbitmqUrl, env.namespace + Queues.deadLetters('webhook-delivery'), 1);
    expect(dead!.content.toString()).toBe('park');
    expect(header(dead!, BrokerHeaders.deathReason)).toBe('gave up after the last rung');
    expect(header(dead!, BrokerHeaders.originalQueue)).toBe(work);
  });

  it('consumeRaw on a queue nobody declared rejects', async () => {
    await expect(broker.consumeRaw('no-such-queue', async () => 'ack')).rejects.toThrow(/NOT_FOUND|no queue/i);
    // the failure closed only that channel: the broker still works
    await broker.publish(ItemCreated, { itemId: 'still-fine', n: 1 });
  });

  it('publishRaw to an exchange that does not exist rejects, and the broker recovers its channel', async () => {
    await expect(broker.publishRaw('missing-exchange', 'x', Buffer.from('x'))).rejects.toThrow();
    // The 404 closed the main channel; the next publish waits for it to be re-opened, then goes through.
    await broker.publish(ItemCreated, { itemId: 'recovered', n: 1 });
  });

  it('exclusive subscriptions fan an event out to every instance', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const other = await connectBroker({
      url: env.rabbitmqUrl,
      service: 'webhook-delivery',
      namespace: env.namespace,
      logger,
    });
    try {
      await broker.subscribe('cache', [on(ItemCreated, async (p) => void a.push(p.itemId))], { exclusive: true });
      await other.subscribe('cache', [on(ItemCreated, async (p) => void b.push(p.itemId))], { exclusive: true });
      await broker.publish(ItemCreated, { itemId: 'everyone', n: 1 });
      await waitFor(() => a.includes('everyone') && b.includes('everyone'));
    } finally {
      await other.close();
    }
  });

  it('close() waits for the handler in flight before closing', async () => {
    const other = await connectBroker({
      url: env.rabbitmqUrl,
      service: 'webhook-delivery',
      namespace: env.namespace,
      logger,
    });
    let finished = false;
    let started = false;
    await other.subscribe('slow', [
      on(ItemCreated, async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 500));
        finished = true;
      }),
    ]);
    await broker.publish(ItemCreated, { itemId: 'slow', n: 1 });
    await waitFor(() => started);
    await other.close();
    expect(finished).toBe(true);
    expect(other.isConnected()).toBe(false);
  });
});
