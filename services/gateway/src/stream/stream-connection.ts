/**
 * The gateway's own AMQP connection for the event stream. Stream readers are long-lived and prefetch-heavy (and a
 * resume reads as fast as the broker sends), so they stay off the broker connection that carries the gateway's
 * RPCs. amqplib's recovery reconnects it; on every (re)connect the stream is declared and bound again and every
 * reader re-attaches at the offset after the last one it handled.
 */
import amqp, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '@wahooks/telemetry';
import type { StreamReader } from './stream-reader.js';

export interface StreamConnectionOptions {
  url: string;
  connectionName: string; // client_properties.connection_name, as `rabbitmqctl list_connections` shows it
  queue: string; // the stream's (namespaced) name
  exchange: string; // the (namespaced) events exchange
  bindingKey: string; // the event type the stream keeps
  retention: string; // x-max-age
  logger: Logger;
}

/**
 * Segment size of the stream. Retention drops whole segments, so smaller segments keep it closer to x-max-age; 50 MB
 * is about 4 minutes of events at 200 events/s. Like every queue argument it never changes for an existing stream.
 */
const SEGMENT_BYTES = 50_000_000;
const REATTACH_MS = 1000;

export class StreamConnection {
  private recovering?: RecoveringChannelModel;
  private model?: ChannelModel;
  private readonly readers = new Set<StreamReader>();
  private closing = false;

  constructor(private readonly opts: StreamConnectionOptions) {}

  /** Connect, waiting at most `waitMs` for the first connection; never throws (recovery keeps trying). */
  async start(waitMs: number): Promise<void> {
    const log = this.opts.logger;
    const url = new URL(this.opts.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '10');
    this.recovering = await amqp.connect(url.toString(), {
      clientProperties: { connection_name: this.opts.connectionName },
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        setup: (model: ChannelModel) => this.setup(model),
        waitForConnect: false,
      },
    });
    this.recovering.on('disconnect', (err: Error) => {
      this.model = undefined;
      if (!this.closing) log.warn({ err: err?.message }, 'event stream connection lost; reconnecting');
    });
    this.recovering.on('reconnect-scheduled', (info: { attempt: number; error: Error }) =>
      log.warn({ attempt: info.attempt, err: info.error.message }, 'event stream reconnect scheduled'),
    );
    this.recovering.on('error', (err: Error) => log.warn({ err: err.message }, 'event stream connection error'));
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      this.recovering.waitForConnect().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    if (!connected) log.error('event stream: RabbitMQ not reachable yet; sockets get events once it is');
  }

  isConnected(): boolean {
    return this.model !== undefined && !this.closing;
  }

  /** Start `reader` now (when connected) and after every reconnect until `remove`. */
  add(reader: StreamReader): void {
    this.readers.add(reader);
    if (this.model) this.attach(reader, this.model);
  }

  async remove(reader: StreamReader): Promise<void> {
    this.readers.delete(reader);
    await reader.stop();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.readers].map((r) => r.stop()));
    this.readers.clear();
    await this.recovering?.close().catch(() => undefined);
  }

  private async setup(model: ChannelModel): Promise<void> {
    await this.declare(model);
    this.model = model;
    for (const reader of this.readers) this.attach(reader, model);
  }

  /** The stream and its binding; idempotent. A stream declared earlier with other arguments is used as it is. */
  private async declare(model: ChannelModel): Promise<void> {
    const { queue, exchange, bindingKey, retention, logger } = this.opts;
    let ch = await model.createChannel();
    ch.on('error', () => undefined); // a refused declare closes the channel with an error: handled below
    try {
      await ch.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'stream',
          'x-max-age': retention,
          'x-stream-max-segment-size-bytes': SEGMENT_BYTES,
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 406) throw err;
      logger.warn(
        { queue, retention, err: (err as Error).message },
        'event stream exists with other arguments (STREAM_RETENTION changed?); using it as it is: change retention with a RabbitMQ policy',
      );
      ch = await model.createChannel();
      ch.on('error', () => undefined);
      await ch.checkQueue(queue);
    }
    await ch.assertExchange(exchange, 'topic', { durable: true });
    await ch.bindQueue(queue, exchange, bindingKey);
    await ch.close().catch(() => undefined);
  }

  private attach(reader: StreamReader, model: ChannelModel): void {
    const again = () =>
      setTimeout(() => {
        if (this.model === model && this.readers.has(reader) && !reader.isStopped) this.attach(reader, model);
      }, REATTACH_MS).unref();
    reader
      .attach(model, this.opts.queue, () => {
        // The connection's own loss re-attaches every reader in setup(); this is a channel lost on its own.
        if (this.model === model) again();
      })
      .catch((err: Error) => {
        this.opts.logger.warn({ reader: reader.label, err: err.message }, 'stream reader attach failed; retrying');
        if (this.model === model) again();
      });
  }
}
