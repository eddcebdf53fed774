/** Events on the real RabbitMQ: delivery with the envelope, bounded retries, dead letters with reasons. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Exchanges, Queues } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import {
  BrokerHeaders,
  connectBroker,
  on,
  type Broker,
  type EventEnvelope,
  type MessageContext,
} from '../src/index.js';
import { collect, header, ItemCreated, ItemPoisoned, waitFor } from './support.js';

let env: TestEnv;
let producer: Broker;
let consumer: Broker;
const logger = createLogger('test', 'fatal');
const received: { payload: unknown; envelope: EventEnvelope; ctx: MessageContext }[] = [];
let poisonCalls = 0;
const MAX_ATTEMPTS = 3;

beforeAll(async () => {
  env = await createTestEnv('broker-events', { database: false });
  producer = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  consumer = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
  await consumer.subscribe(
    'test',
    [
      on(ItemCreated, async (payload, envelope, ctx) => void received.push({ payload, envelope, ctx })),
      on(ItemPoisoned, async () => {
        poisonCalls++;
        throw new Error('handler always fails');
      }),
    ],
    { maxAttempts: MAX_ATTEMPTS, retryBackoffMs: 50, prefetch: 1 },
  );
});

afterAll(async () => {
  await producer?.close();
  await consumer?.close();
  await env?.cleanup();
});

const dlq = () => env.namespace + Queues.deadLetters('token');

describe('events', () => {
  it('delivers the payload and the envelope to the handler', async () => {
    const id = await producer.publish(ItemCreated, { itemId: 'i1', n: 1 });
    expect(id).toMatch(/^evt_[0-9a-hjkmnp-tv-z]{26}$/); // newEventId of @wahooks/contracts
    await waitFor(() => received.some((r) => r.envelope.id === id));
    const got = received.find((r) => r.envelope.id === id)!;
    expect(got.payload).toEqual({ itemId: 'i1', n: 1 });
    expect(got.envelope).toMatchObject({ id, type: 'token.item.created', version: 1, payload: { itemId: 'i1', n: 1 } });
    expect(new Date(got.envelope.occurredAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(got.ctx).toMatchObject({ messageId: id, type: 'token.item.created', attempt: 1 });
  });

  it('refuses to publish a payload that fails its schema (a producer bug)', async () => {
    await expect(producer.publish(ItemCreated, { itemId: 'i2', n: 1.5 })).rejects.toThrow(
      /token.item.created payload fails its schema/,
    );
  });

  it('dead-letters a poison message after maxAttempts, with the reason, and keeps consuming', async () => {
    const poisonId = await producer.publish(ItemPoisoned, { itemId: 'bad' });
    const goodId = await producer.publish(ItemCreated, { itemId: 'after-poison', n: 2 });
    const [dead] = await collect(env.rabbitmqUrl, dlq(), 1);
    expect(dead!.properties.messageId).toBe(poisonId);
    expect(header(dead!, BrokerHeaders.deathReason)).toBe('handler always fails');
    expect(header(dead!, BrokerHeaders.originalQueue)).toBe(env.namespace + Queues.events('token', 'test'));
    expect(header(dead!, BrokerHeaders.attempt)).toBe(String(MAX_ATTEMPTS));
    expect(poisonCalls).toBe(MAX_ATTEMPTS);
    await waitFor(() => received.some((r) => r.envelope.id === goodId));
  });

  it('dead-letters a message that fails schema validation at once', async () => {
    const bad = {
      id: 'evt_manual1',
      type: ItemCreated.type,
      version: 1,
      occurredAt: new Date().toISOString(),
      payload: { itemId: 7 },
    };
    await producer.publishRaw(Exchanges.events, ItemCreated.type, Buffer.from(JSON.stringify(bad)), {
      messageId: bad.id,
    });
    const [dead] = await collect(env.rabbitmqUrl, dlq(), 1);
    expect(dead!.properties.messageId).toBe('evt_manual1');
    expect(header(dead!, BrokerHeaders.deathReason)).toMatch(/^invalid payload: .*itemId/);
    expect(header(dead!, BrokerHeaders.attempt)).toBeUndefined(); // no handler attempt was spent
    expect(received.some((r) => r.envelope.id === 'evt_manual1')).toBe(false);
  });

  it('dead-letters a body that is not JSON', async () => {
    await producer.publishRaw(Exchanges.events, ItemCreated.type, Buffer.from('{nope'), { messageId: 'raw-1' });
    const [dead] = await collect(env.rabbitmqUrl, dlq(), 1);
    expect(header(dead!, BrokerHeaders.deathReason)).toBe('message body is not valid JSON');
  });
});
