/**
 * Consumers, each on its own confirm channel (its own prefetch; a failure closes only that channel). The
 * declare-and-consume setup re-runs on every reconnect, which resumes consuming. close() cancels them all.
 */
import type { Channel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import type { Logger } from '@wahooks/telemetry';
import type { BrokerConnection } from './connection.js';
import type { InFlight } from './inflight.js';
import { batchedAck, nackNow } from './ack-batch.js';
import { Limiter } from './limiter.js';
import { consumedCell } from './metrics.js';

export interface ConsumerSpec<C extends Channel = ConfirmChannel> {
  label: string; // for logs and the channel name
  prefetch: number;
  /** false: a plain channel, no publisher confirms (RPC servers: the reply needs none). Default true. */
  confirm?: C extends ConfirmChannel ? true : false;
  /**
   * true: the broker settles each message on delivery (no ack frame back): `prefetch` then caps how many
   * handlers run at once in-process instead of at the broker. A message lost with the process is lost (RPC
   * requests: the caller times out with 503). `onMessage` must not ack/nack.
   */
  noAck?: boolean;
  /** Declares (or finds) the queue and its bindings; returns the queue name to consume. */
  declare(ch: C): Promise<string>;
  /**
   * Handles one message and settles it (ack/nack) on `ch`. Must not throw; errors are logged. `slot` is given
   * with `noAck` (the in-process limiter): `slot.outside(wait)` lets a handler wait without holding its slot.
   */
  onMessage(ch: C, msg: ConsumeMessage, queue: string, slot?: HandlerSlot): Promise<void>;
}

/** A noAck consumer's concurrency slot, as its handler sees it (see Limiter.outside). */
export interface HandlerSlot {
  outside<T>(work: () => Promise<T>): Promise<T>;
}

export class Consumers {
  private readonly active = new Map<string, { ch: Channel; tag: string }>();
  private stopping = false;
  private seq = 0;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly inflight: InFlight,
    private readonly logger: Logger,
  ) {}

  /** Resolves once consuming (when connected); rejects if the first declare fails. */
  async start<C extends Channel = ConfirmChannel>(spec: ConsumerSpec<C>): Promise<void> {
    const key = `${spec.label}#${++this.seq}`;
    const noAck = spec.noAck === true;
    const limiter = noAck ? new Limiter(spec.prefetch) : undefined;
    const slot: HandlerSlot | undefined = limiter && { outside: (work) => limiter.outside(work) };
    let lastQueue: string | undefined; // a server-named queue is a new one after each reconnect
    const setup = async (ch: C) => {
      const queue = await spec.declare(ch);
      const consumed = consumedCell(queue, spec.label, lastQueue);
      lastQueue = queue;
      await ch.prefetch(spec.prefetch);
      const { consumerTag } = await ch.consume(
        queue,
        (msg) => {
          if (!msg) {
            // The server cancelled us (queue deleted): closing the channel makes the slot re-declare and resume.
            this.logger.warn({ queue }, 'consumer cancelled by the broker; re-declaring');
            ch.close().catch(() => undefined);
            return;
          }
          consumed.inc();
          if (limiter) {
            // Already settled by the broker: handled even while stopping (close() drains it), never nacked.
            void this.inflight.track(
              limiter
                .run(() => spec.onMessage(ch, msg, queue, slot))
                .catch((err: Error) => this.logger.error({ queue, err: err.message }, 'message handling failed')),
            );
            return;
          }
          if (this.stopping) {
            nack(ch, msg, true);
            return;
          }
          void this.inflight.track(
            spec.onMessage(ch, msg, queue).catch((err: Error) => {
              this.logger.error({ queue, err: err.message }, 'message handling failed');
              nack(ch, msg, true);
            }),
          );
        },
        { noAck },
      );
      this.active.set(key, { ch, tag: consumerTag });
    };
    if (spec.confirm === false)
      await this.connection.addChannel(key, setup as (ch: Channel) => Promise<void>, false, false);
    else await this.connection.addChannel(key, setup as unknown as (ch: ConfirmChannel) => Promise<void>);
  }

  async cancelAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.active.values()].map(({ ch, tag }) => ch.cancel(tag).catch(() => undefined)));
  }
}

/** Ack, batched with the channel's other acks of this turn (see ack-batch.ts). */
export const ack = (ch: Channel, msg: Message) => batchedAck(ch, msg);

/** Nack at once (requeue, or dead-letter when false); never throws. */
export const nack = (ch: Channel, msg: Message, requeue: boolean) => nackNow(ch, msg, requeue);
