/**
 * Batched acks: the frames sent for a channel (recorded on a stand-in channel object), and, against the real
 * RabbitMQ, a quorum queue consumed with out-of-order completions and a nack in between: every message is
 * settled exactly as its handler said, none is left unacked, and RabbitMQ never refuses a tag.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Channel, Message } from 'amqplib';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { batchedAck, nackNow } from '../src/ack-batch.js';
import { connectBroker, type Broker } from '../src/index.js';
import { drainQueue, waitFor } from './support.js';

/** A channel that records ack/nack frames as [kind, tag, multiple]. */
function recordingChannel() {
  const frames: [string, number, boolean][] = [];
  const ch = {
    ack: (m: Message, multiple?: boolean) => frames.push(['ack', m.fields.deliveryTag, multiple === true]),
    nack: (m: Message, multiple?: boolean) => frames.push(['nack', m.fields.deliveryTag, multiple === true]),
  } as unknown as Channel;
  return { ch, frames };
}
const msg = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;
const turn = () => new Promise((r) => setImmediate(r));

describe('batched acks (frames)', () => {
  it('a turn of contiguous acks is one multiple ack', async () => {
    const { ch, frames } = recordingChannel();
    for (const t of [2, 1, 3]) batchedAck(ch, msg(t));
    expect(frames).toEqual([]); // nothing before the end of the turn
    await turn();
    expect(frames).toEqual([['ack', 3, true]]);
  });

  it('a tag still being handled stops the run; acks above it go one by one, at once', async () => {
    const { ch, frames } = recordingChannel();
    for (const t of [2, 3, 5]) batchedAck(ch, msg(t)); // 1 and 4 still running
    await turn();
    expect(frames).toEqual([
      ['ack', 2, false],
      ['ack', 3, false],
      ['ack', 5, false],
    ]);
    frames.length = 0;
    batchedAck(ch, msg(1));
    await turn();
    expect(frames).toEqual([['ack', 1, true]]); // names 1: 2 and 3 are acked already (RabbitMQ refuses their tags)
    frames.length = 0;
    batchedAck(ch, msg(4));
    batchedAck(ch, msg(6));
    await turn();
    expect(frames).toEqual([['ack', 6, true]]); // 4 and 6 outstanding, 5 passed over
  });

  it('a nack goes out at once, and the next multiple ack passes over its tag', async () => {
    const { ch, frames } = recordingChannel();
    batchedAck(ch, msg(1));
    nackNow(ch, msg(2), true);
    batchedAck(ch, msg(3));
    expect(frames).toEqual([['nack', 2, false]]);
    await turn();
    expect(frames).toEqual([
      ['nack', 2, false],
      ['ack', 3, true],
    ]);
  });
});

describe('batched acks (RabbitMQ, quorum queue)', () => {
  let env: TestEnv;
  let broker: Broker;
  const logger = createLogger('test', 'fatal');

  beforeAll(async () => {
    env = await createTestEnv('broker-acks', { database: false });
    broker = await connectBroker({
      url: env.rabbitmqUrl,
      service: 'webhook-delivery',
      namespace: env.namespace,
      logger,
    });
  });

  afterAll(async () => {
    await broker?.close();
    await env?.cleanup();
  });

  it('out-of-order completions and requeues: each message settled as handled, nothing left unacked', async () => {
    const queue = 'webhook-delivery:acks';
    await broker.addSetup(async (ch) => {
      await ch.assertQueue(broker.name(queue), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    });
    const N = 300;
    const handled = new Map<string, number>();
    await broker.consumeRaw(
      queue,
      async (m) => {
        const body = m.content.toString();
        const n = (handled.get(body) ?? 0) + 1;
        handled.set(body, n);
        const i = Number(body);
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, 5 + (i % 30))); // some finish late
        if (i % 50 === 0 && n === 1) return 'requeue'; // a nack in the middle of acked runs
        return 'ack';
      },
      { prefetch: 100 },
    );
    for (let i = 1; i <= N; i++) await broker.publishRaw('', queue, Buffer.from(String(i)));
    await waitFor(() => handled.size === N && [...handled.values()].reduce((a, b) => a + b, 0) === N + 6, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    // The channel is still open (an unknown delivery tag would have closed it and redelivered everything), and
    // closing the consumer leaves nothing behind: every ack reached the queue.
    expect([...handled.entries()].filter(([b, n]) => n !== (Number(b) % 50 === 0 ? 2 : 1))).toEqual([]);
    await broker.close();
    expect(await drainQueue(env.rabbitmqUrl, broker.name(queue))).toHaveLength(0);
  });

  it('close() during a handler: its batched ack still goes out before the connection closes', async () => {
    const other = await connectBroker({
      url: env.rabbitmqUrl,
      service: 'webhook-delivery',
      namespace: env.namespace,
      logger,
    });
    const queue = 'webhook-delivery:acks-close';
    await other.addSetup(async (ch) => {
      await ch.assertQueue(other.name(queue), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    });
    let started = false;
    await other.consumeRaw(queue, async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 200));
      return 'ack';
    });
    await other.publishRaw('', queue, Buffer.from('last'));
    await waitFor(() => started);
    await other.close(); // drains the handler, then closes
    expect(await drainQueue(env.rabbitmqUrl, other.name(queue))).toHaveLength(0);
  });
});
