/**
 * Stream queues: `connectStream` declares a namespaced stream bound to the events exchange on a connection of its
 * own; consumers start at the head, the tail, an offset or a time; when RabbitMQ closes the connection each
 * consumer resumes at the offset after the last message it handled (none skipped, none twice).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Exchanges } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import {
  connectBroker,
  connectionName,
  connectStream,
  type Broker,
  type RawMessage,
  type StreamConnection,
  type StreamStart,
} from '../src/index.js';
import { ItemCreated, killConnection, waitFor } from './support.js';

const run = promisify(execFile);
const logger = createLogger('test', 'fatal');
const QUEUE = 'test:stream';

let env: TestEnv;
let broker: Broker;
let stream: StreamConnection;
let seq = 0;

const open = (instanceId: string, maxAge = '1h') =>
  connectStream({
    url: env.rabbitmqUrl,
    service: 'gateway',
    instanceId,
    namespace: env.namespace,
    queue: QUEUE,
    bindings: [{ exchange: Exchanges.events, routingKey: ItemCreated.type }],
    maxAge,
    logger,
  });

beforeAll(async () => {
  env = await createTestEnv('broker-stream', { database: false });
  broker = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
  stream = await open('strm');
});

afterAll(async () => {
  await stream?.close();
  await broker?.close();
  await env?.cleanup();
});

/** Publish items `<label>-0` … on the events exchange, in order; returns their ids. */
async function publish(label: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const itemId = `${label}-${i}`;
    await broker.publish(ItemCreated, { itemId, n: seq++ });
    ids.push(itemId);
  }
  return ids;
}

const itemOf = (msg: RawMessage): string =>
  (JSON.parse(msg.content.toString()) as { payload: { itemId: string } }).payload.itemId;

/** A consumer recording what it handled (item ids and offsets, in order). */
function record(on: StreamConnection, from: StreamStart, label = 'rec') {
  const items: string[] = [];
  const offsets: number[] = [];
  const consumer = on.consume(
    from,
    (msg, offset) => {
      items.push(itemOf(msg));
      offsets.push(offset);
    },
    { label, prefetch: 5 },
  );
  return { items, offsets, consumer };
}

/** Publish `probe-<n>` items until `rec` has one: from then on it reads everything published. */
async function untilReading(rec: { items: string[] }): Promise<void> {
  await waitFor(
    async () => {
      if (rec.items.some((i) => i.startsWith('probe'))) return true;
      await publish('probe', 1);
      return false;
    },
    10_000,
    200,
  );
}

describe('connectStream', () => {
  it('declares the stream under the namespace, bound to the events exchange', async () => {
    expect(stream.queue).toBe(`${env.namespace}${QUEUE}`);
    expect(stream.isConnected()).toBe(true);
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'type', '--no-table-headers'], {
      timeout: 30_000,
    });
    const line = stdout.split('\n').find((l) => l.split('\t')[0]?.trim() === stream.queue);
    expect(line?.split('\t')[1]?.trim()).toBe('stream');
  });

  it('reads from the head in order with contiguous offsets, from an offset, and from the tail', async () => {
    const head = await publish('head', 20);
    const all = record(stream, 'first');
    await waitFor(() => all.items.length >= 20);
    expect(all.items.slice(0, 20)).toEqual(head);
    expect(all.offsets.slice(0, 20)).toEqual([...Array(20).keys()].map((i) => all.offsets[0]! + i));

    const fromTen = record(stream, { offset: all.offsets[10]! });
    await waitFor(() => fromTen.items.length >= 10);
    expect(fromTen.items.slice(0, 10)).toEqual(head.slice(10));
    expect(fromTen.offsets[0]).toBe(all.offsets[10]);

    const tail = record(stream, 'next');
    await untilReading(tail);
    const later = await publish('later', 5);
    await waitFor(() => later.every((i) => tail.items.includes(i)));
    expect(tail.items.filter((i) => i.startsWith('head'))).toEqual([]);
    expect(tail.items.filter((i) => i.startsWith('later'))).toEqual(later);
    await Promise.all([all.consumer.stop(), fromTen.consumer.stop(), tail.consumer.stop()]);
  });

  it('reads from a time: the first chunk written at or after it', async () => {
    const before = await publish('before', 5);
    await new Promise((r) => setTimeout(r, 1500)); // timestamps are in seconds
    // Chunk timestamps come from the broker's clock; an Erlang VM can lag the OS clock by seconds after the
    // machine's clock stepped (seen: 31 s). Ask for the start in the broker's time.
    const since = Date.now() - (await brokerClockLagMs());
    const after = await publish('after', 5);
    const rec = record(stream, { timestampMs: since });
    await waitFor(() => after.every((i) => rec.items.includes(i)));
    expect(rec.items.slice(0, 5)).toEqual(after);
    expect(rec.items.filter((i) => before.includes(i))).toEqual([]);
    await rec.consumer.stop();
  });

  it('after RabbitMQ closes the connection, each consumer resumes after the last message it handled', async () => {
    const own = await open('resume');
    try {
      const a = record(own, 'next', 'a');
      await untilReading(a);
      const start = a.offsets.at(-1)!;
      const first = await publish('pre', 10);
      await waitFor(() => first.every((i) => a.items.includes(i)));

      expect(await killConnection(`${connectionName('gateway', 'resume', env.namespace)} stream`)).toBe(1);
      await waitFor(() => !own.isConnected(), 10_000, 5);
      const during = await publish('during', 10); // kept by the stream while nobody reads
      await waitFor(() => own.isConnected(), 20_000);
      const after = await publish('post', 10);
      await waitFor(() => after.every((i) => a.items.includes(i)), 20_000);

      const expected = [...first, ...during, ...after];
      const seen = a.items.filter((i) => expected.includes(i));
      expect(seen).toEqual(expected); // in order, none skipped, none twice
      const handled = a.offsets.filter((o) => o > start);
      expect(handled).toEqual([...handled.keys()].map((i) => start + 1 + i)); // every offset exactly once
      expect(a.consumer.position).toBe(a.offsets.at(-1));
    } finally {
      await own.close();
    }
  });

  it('a stopped consumer handles nothing more; a throwing handler does not stop the consumer', async () => {
    const kept = record(stream, 'next', 'kept');
    const stopped = record(stream, 'next', 'stopped');
    let throws = 0;
    const throwing = stream.consume('next', () => {
      throws++;
      throw new Error('boom');
    });
    await Promise.all([untilReading(kept), untilReading(stopped)]);
    await stopped.consumer.stop();
    expect(stopped.consumer.isStopped).toBe(true);
    const count = stopped.items.length;
    const more = await publish('more', 5);
    await waitFor(() => more.every((i) => kept.items.includes(i)));
    await waitFor(() => throws >= 5);
    expect(stopped.items.length).toBe(count);
    await Promise.all([kept.consumer.stop(), throwing.stop()]);
  });

  it('a stream that exists with other arguments is used as it is', async () => {
    const other = await open('other-args', '2D');
    try {
      expect(other.isConnected()).toBe(true);
      const rec = record(other, 'next');
      await untilReading(rec);
      const ids = await publish('other', 3);
      await waitFor(() => ids.every((i) => rec.items.includes(i)));
    } finally {
      await other.close();
    }
  });
});

/** How far the broker's clock (Erlang system time) is behind this machine's, in ms; 0 when it cannot be asked. */
async function brokerClockLagMs(): Promise<number> {
  try {
    const { stdout } = await run(
      'rabbitmqctl',
      ['eval', 'os:system_time(millisecond) - erlang:system_time(millisecond).'],
      { timeout: 30_000 },
    );
    const lag = Number(stdout.trim().split('\n').pop());
    return Number.isFinite(lag) ? lag : 0;
  } catch {
    return 0; // no CLI here (another host's broker): assume its clock is synchronised
  }
}
