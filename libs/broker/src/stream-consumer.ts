/**
 * One reader of a stream queue, on a channel slot of its own (re-opened after a lost channel, re-run after every
 * reconnect). It remembers the offset of the last message it handled and re-attaches at the next one; the broker
 * restarts a consumer at a chunk boundary, so offsets it already handled are skipped: nothing is handled twice.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@wahooks/telemetry';
import { batchedAck } from './ack-batch.js';
import type { BrokerConnection, ChannelHandle } from './connection.js';
import { errorMessage } from './errors.js';

/** Where a consumer starts: the tail (`next`), the head (`first`), an exact offset, or the first chunk written at or after a time. */
export type StreamStart = 'next' | 'first' | { offset: number } | { timestampMs: number };

/**
 * Gets each message and its offset, in stream order. Synchronous: the message is acked (batched per event-loop
 * turn) when it returns; a throw is logged and the consumer goes on.
 */
export type StreamHandler = (msg: ConsumeMessage, offset: number) => void;

/** Before retrying a first attach that failed (e.g. the stream is not there yet), ms. */
const ATTACH_RETRY_MS = 1000;

/** The `x-stream-offset` consumer argument (an AMQP timestamp is in seconds). */
export function offsetArgument(start: StreamStart): unknown {
  if (typeof start === 'string') return start;
  if ('offset' in start) return start.offset;
  return { '!': 'timestamp', value: Math.max(0, Math.floor(start.timestampMs / 1000)) };
}

export interface StreamConsumerOptions {
  label: string;
  prefetch: number;
  logger: Logger;
  onStopped(consumer: StreamConsumer): void;
}

export class StreamConsumer {
  private ch?: Channel; // the channel deliveries are taken from
  private handle?: ChannelHandle<Channel>;
  private last?: number; // offset of the last message handled
  private stopped = false;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly queue: string,
    private readonly from: StreamStart,
    private readonly onMessage: StreamHandler,
    private readonly opts: StreamConsumerOptions,
  ) {}

  get label(): string {
    return this.opts.label;
  }

  /** Offset of the last message handled, if any. */
  get position(): number | undefined {
    return this.last;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Register the channel slot (the connection opens it now or on connect); retried while its first attach fails. */
  start(): void {
    if (this.stopped) return;
    this.connection
      .addChannel(`stream:${this.opts.label}`, (ch) => this.attach(ch), false, false)
      .then(
        (handle) => {
          this.handle = handle;
          if (this.stopped) void handle.close();
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.opts.logger.warn({ consumer: this.label, err: errorMessage(err) }, 'stream attach failed; retrying');
          setTimeout(() => this.start(), ATTACH_RETRY_MS).unref();
        },
      );
  }

  /** Stop for good: no message is handled after this returns. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ch = undefined;
    this.opts.onStopped(this);
    await this.handle?.close();
  }

  /** The slot's setup: consume from where this consumer is. */
  private async attach(ch: Channel): Promise<void> {
    if (this.stopped) throw new Error('stream consumer stopped');
    this.ch = ch; // before consume: deliveries can arrive before its promise settles
    await ch.prefetch(this.opts.prefetch); // stream queues require it (credit), and manual acks
    const start: StreamStart = this.last === undefined ? this.from : { offset: this.last + 1 };
    await ch.consume(this.queue, (msg) => this.onDelivery(ch, msg), {
      noAck: false,
      arguments: { 'x-stream-offset': offsetArgument(start) },
    });
  }

  private onDelivery(ch: Channel, msg: ConsumeMessage | null): void {
    if (!msg) {
      // Cancelled by the server (the stream was deleted): closing the channel makes its slot re-attach.
      this.opts.logger.warn({ consumer: this.label }, 'stream consumer cancelled by the broker');
      ch.close().catch(() => undefined);
      return;
    }
    if (this.stopped || this.ch !== ch) return;
    const offset = Number(msg.properties.headers?.['x-stream-offset']);
    if (this.last === undefined || offset > this.last) {
      this.last = offset;
      try {
        this.onMessage(msg, offset);
      } catch (err) {
        this.opts.logger.error(
          { consumer: this.label, offset, err: errorMessage(err) },
          'stream message handling failed',
        );
      }
    }
    batchedAck(ch, msg); // one `ack multiple` per turn returns the stream's credit for the whole batch
  }
}
