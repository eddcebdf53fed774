/**
 * One consumer of the event stream (a RabbitMQ stream queue) on a channel of its own: it starts at `from` and
 * remembers the offset of the last message it handled, so after a lost channel or connection it re-attaches at
 * the next offset: nothing skipped, nothing handled twice. Handlers are synchronous (they only write to sockets).
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@wahooks/telemetry';

/** Where a reader starts: the tail (`next`), an exact offset, or the first chunk written at or after a time. */
export type StreamStart = 'next' | 'first' | { offset: number } | { timestampMs: number };

export type StreamHandler = (msg: ConsumeMessage, offset: number) => void;

/** The `x-stream-offset` consumer argument (an AMQP timestamp is in seconds). */
function offsetArgument(start: StreamStart): unknown {
  if (typeof start === 'string') return start;
  if ('offset' in start) return start.offset;
  return { '!': 'timestamp', value: Math.max(0, Math.floor(start.timestampMs / 1000)) };
}

export class StreamReader {
  private ch?: Channel;
  private last?: number; // offset of the last message handled
  private stopped = false;
  private toAck?: { ch: Channel; msg: ConsumeMessage };

  constructor(
    readonly label: string,
    private readonly from: StreamStart,
    private readonly handle: StreamHandler,
    private readonly prefetch: number,
    private readonly logger: Logger,
  ) {}

  /** Offset of the last message handled, if any. */
  get position(): number | undefined {
    return this.last;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Open a channel on `model` and consume from where this reader is. `onLost` runs when that channel closes while
   * the reader still wants it (the connection owner re-attaches).
   */
  async attach(model: ChannelModel, queue: string, onLost: () => void): Promise<void> {
    if (this.stopped) return;
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.logger.warn({ reader: this.label, err: err.message }, 'stream channel error'));
    ch.on('close', () => {
      if (this.ch !== ch) return;
      this.ch = undefined;
      if (!this.stopped) onLost();
    });
    this.ch = ch; // before consume: deliveries can be handled before its promise settles
    try {
      if (this.stopped) throw new Error('reader stopped');
      await ch.prefetch(this.prefetch); // required by stream queues (credit), as is the manual ack
      const start: StreamStart = this.last === undefined ? this.from : { offset: this.last + 1 };
      await ch.consume(queue, (msg) => this.onDelivery(ch, msg), {
        noAck: false,
        arguments: { 'x-stream-offset': offsetArgument(start) },
      });
    } catch (err) {
      if (this.ch === ch) this.ch = undefined;
      await ch.close().catch(() => undefined);
      if (this.stopped) return;
      throw err;
    }
  }

  /** Stop for good: no more messages are handled after this returns. */
  async stop(): Promise<void> {
    this.stopped = true;
    const ch = this.ch;
    this.ch = undefined;
    await ch?.close().catch(() => undefined);
  }

  private onDelivery(ch: Channel, msg: ConsumeMessage | null): void {
    if (!msg) {
      // Cancelled by the server (the stream was deleted): the channel's close makes the owner re-attach.
      this.logger.warn({ reader: this.label }, 'stream consumer cancelled by the broker');
      ch.close().catch(() => undefined);
      return;
    }
    if (this.stopped || this.ch !== ch) return;
    const offset = Number(msg.properties.headers?.['x-stream-offset']);
    // A re-attached consumer starts at a chunk boundary: skip what this reader already handled.
    if (this.last === undefined || offset > this.last) {
      this.last = offset;
      try {
        this.handle(msg, offset);
      } catch (err) {
        this.logger.error(
          { reader: this.label, offset, err: (err as Error).message },
          'stream message handling failed',
        );
      }
    }
    this.ackLater(ch, msg);
  }

  /** One `ack multiple` per event-loop turn: it returns the stream's credit for the whole batch. */
  private ackLater(ch: Channel, msg: ConsumeMessage): void {
    const scheduled = this.toAck !== undefined;
    this.toAck = { ch, msg };
    if (scheduled) return;
    setImmediate(() => {
      const pending = this.toAck;
      this.toAck = undefined;
      if (!pending || pending.ch !== this.ch) return; // the channel is gone: its unacked messages went with it
      try {
        pending.ch.ack(pending.msg, true);
      } catch {
        // channel closed meanwhile
      }
    });
  }
}
