/**
 * Acks of one event-loop turn on one channel go out as a single `basic.ack multiple=true` wherever the settled
 * delivery tags are contiguous. For a quorum queue every ack frame is a Raft command on the broker, so a burst of
 * n messages handled together costs one command instead of n.
 *
 * Safe because a channel's delivery tags are consecutive and each consumer has a channel of its own: the multiple
 * ack only covers a run of tags that are all settled (acked here, or nacked, which is sent at once). A tag still being handled stops the run; acks above it are sent one by one in the same flush, so
 * a slow handler never holds back the acks (and the prefetch window) of the others. An ack waits at most until
 * the end of the turn; if the channel dies first the broker redelivers, as with any unacked message.
 */
import type { Channel, Message } from 'amqplib';
import { oncePerTurn } from '@wahooks/batching';

class ChannelAcks {
  private base = 0; // every tag <= base is settled at the broker
  // Settled here, above base (acked, nacked or acked one by one). Grows only while a lower tag is still being
  // handled (bounded by how long a handler may run: the webhook timeout, say), and empties when it settles.
  private readonly settled = new Set<number>();
  private readonly pending = new Set<number>(); // acks not sent yet
  private readonly schedule = oncePerTurn(() => this.flush()); // setImmediate: the acks of this turn's handlers

  constructor(private readonly ch: Channel) {}

  ack(tag: number): void {
    this.settled.add(tag);
    this.pending.add(tag);
    this.schedule();
  }

  /** A nack (sent by the caller right after this) settles its tag too; the next multiple ack may pass over it. */
  nacked(tag: number): void {
    this.settled.add(tag);
  }

  private flush(): void {
    // The multiple ack names the highest tag of the contiguous run that is still unacked at the broker: RabbitMQ
    // refuses ("unknown delivery tag") a multiple ack whose own tag was acked or nacked already.
    let top = this.base;
    let last = 0;
    while (this.settled.has(top + 1)) {
      top++;
      this.settled.delete(top);
      if (this.pending.delete(top)) last = top;
    }
    this.base = top;
    try {
      if (last > 0) this.ch.ack(tagged(last), true);
      for (const tag of this.pending) this.ch.ack(tagged(tag), false);
    } catch {
      // channel closed: the broker redelivers whatever was not acked
    }
    this.pending.clear();
  }
}

const tagged = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;

const byChannel = new WeakMap<Channel, ChannelAcks>();

function acksOf(ch: Channel): ChannelAcks {
  let acks = byChannel.get(ch);
  if (!acks) {
    acks = new ChannelAcks(ch);
    byChannel.set(ch, acks);
  }
  return acks;
}

/** Ack `msg` with the rest of this turn's acks on its channel. */
export function batchedAck(ch: Channel, msg: Message): void {
  acksOf(ch).ack(msg.fields.deliveryTag);
}

/** Nack `msg` now, and let the channel's batched acks know its tag is settled. */
export function nackNow(ch: Channel, msg: Message, requeue: boolean): void {
  acksOf(ch).nacked(msg.fields.deliveryTag);
  try {
    ch.nack(msg, false, requeue);
  } catch {
    // channel closed: the message is redelivered by the broker
  }
}
