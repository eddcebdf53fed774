/**
 * RabbitMQ stream queues (`x-queue-type: stream`): an append-only log that many consumers read, each from an
 * offset of its own, and that keeps messages for `maxAge` whoever has read them. `connectStream()` opens a
 * connection of its own (long-lived, prefetch-heavy readers stay off the connection that carries RPCs), declares
 * the stream and its bindings on every (re)connect, and re-attaches every consumer at the offset after the last
 * message it handled: after a reconnect nothing is skipped and nothing is handled twice.
 */
import type { Channel, ConfirmChannel } from 'amqplib';
import type { ServiceName } from '@wahooks/contracts';
import { createLogger, type Logger } from '@wahooks/telemetry';
import { connectionName } from './broker.js';
import { BrokerConnection } from './connection.js';
import { StreamConsumer, type StreamHandler, type StreamStart } from './stream-consumer.js';
import { declareExchanges, namespacedNamer } from './topology.js';

export { StreamConsumer, type StreamHandler, type StreamStart } from './stream-consumer.js';

export interface StreamOptions {
  url: string;
  /** Names the connection: `<service>@<instanceId>[ ns=<namespace>] stream` (`rabbitmqctl list_connections`). */
  service: ServiceName;
  instanceId: string;
  /** Prefix of the stream's and the exchanges' names, as for `connectBroker` ('' in production). */
  namespace?: string;
  /** The stream queue's name (un-namespaced). */
  queue: string;
  /** Bindings of the stream; `exchange` is un-namespaced and one of `Exchanges` (declared here too). */
  bindings: { exchange: string; routingKey: string }[];
  /** x-max-age: how long messages are kept, RabbitMQ syntax (`10m`, `1h`, `7D`). Read only when first declared. */
  maxAge: string;
  /**
   * x-stream-max-segment-size-bytes. Retention drops whole segments, so smaller segments keep it closer to
   * `maxAge`. Default 50 MB (about 4 minutes of 1 kB messages at 200/s). Read only when first declared.
   */
  maxSegmentBytes?: number;
  logger?: Logger;
  /** How long `connectStream` waits for the first connection (ms, default 5000); it never fails: recovery goes on. */
  connectWaitMs?: number;
}

export interface ConsumeStreamOptions {
  /** For logs. */
  label?: string;
  /** Unacknowledged messages the consumer may hold (stream queues require a prefetch; default 100). */
  prefetch?: number;
}

export interface StreamConnection {
  /** The stream queue's namespaced name. */
  readonly queue: string;
  isConnected(): boolean;
  /**
   * Read the stream from `from`, now (when connected) and after every reconnect until `stop()`, calling
   * `handle(msg, offset)` for each message in stream order. Acks are batched per event-loop turn.
   */
  consume(from: StreamStart, handle: StreamHandler, options?: ConsumeStreamOptions): StreamConsumer;
  /** Stop every consumer and close the connection. */
  close(): Promise<void>;
}

const DEFAULT_SEGMENT_BYTES = 50_000_000;

export async function connectStream(options: StreamOptions): Promise<StreamConnection> {
  const namespace = options.namespace ?? '';
  const name = namespacedNamer(namespace); // records the names for test clean-up (topology.ts)
  const queue = name(options.queue);
  const logger = options.logger ?? createLogger(`broker:${options.service}:stream`, process.env.LOG_LEVEL ?? 'warn');
  const connection = new BrokerConnection({
    url: options.url,
    connectionName: `${connectionName(options.service, options.instanceId, namespace)} stream`,
    logger,
    initialRetries: Infinity, // connectStream never fails: the stream is there once RabbitMQ is
  });
  const consumers = new Set<StreamConsumer>();
  let closing = false;

  // The first slot: runs before the consumers' on every (re)connect, and a failure fails the (re)connect.
  await connection.addChannel(
    'stream-declare',
    async (slotChannel) => {
      const ch = await declareStream(connection, slotChannel, queue, options, logger);
      try {
        await declareExchanges(ch, name);
        for (const b of options.bindings) await ch.bindQueue(queue, name(b.exchange), b.routingKey);
      } finally {
        if (ch !== slotChannel) await ch.close().catch(() => undefined);
      }
    },
    true,
  );

  const started = connection.start();
  started.catch(() => undefined); // rejects only when closed before the first connection
  let timer: NodeJS.Timeout | undefined;
  const connected = await Promise.race([
    started.then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.connectWaitMs ?? 5000))),
  ]);
  clearTimeout(timer);
  if (!connected) logger.error({ queue }, 'stream: RabbitMQ not reachable yet; consumers start once it is');

  return {
    queue,
    isConnected: () => !closing && connection.isConnected(),
    consume(from, handle, opts = {}) {
      const consumer = new StreamConsumer(connection, queue, from, handle, {
        label: opts.label ?? 'stream',
        prefetch: opts.prefetch ?? 100,
        logger,
        onStopped: (c) => consumers.delete(c),
      });
      if (closing) void consumer.stop();
      else {
        consumers.add(consumer);
        consumer.start();
      }
      return consumer;
    },
    async close() {
      if (closing) return;
      closing = true;
      await Promise.all([...consumers].map((c) => c.stop()));
      await connection.close();
    },
  };
}

/**
 * The stream itself; idempotent. A stream declared earlier with other arguments (a changed `maxAge`) is used as it
 * is: RabbitMQ refuses the re-declare (406) and closes `ch`, so the check runs on a channel of its own, returned
 * for the rest of the setup (the caller closes it).
 */
async function declareStream(
  connection: BrokerConnection,
  ch: ConfirmChannel,
  queue: string,
  options: StreamOptions,
  logger: Logger,
): Promise<Channel> {
  try {
    await ch.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'stream',
        'x-max-age': options.maxAge,
        'x-stream-max-segment-size-bytes': options.maxSegmentBytes ?? DEFAULT_SEGMENT_BYTES,
      },
    });
    return ch;
  } catch (err) {
    if ((err as { code?: number }).code !== 406) throw err;
    logger.warn(
      { queue, maxAge: options.maxAge, err: (err as Error).message },
      'stream exists with other arguments; using it as it is (change its retention with a RabbitMQ policy)',
    );
  }
  const fresh = await connection.openChannel();
  try {
    await fresh.checkQueue(queue);
  } catch (err) {
    await fresh.close().catch(() => undefined);
    throw err;
  }
  return fresh;
}
