/**
 * This replica's live fan-out: one stream reader from the tail, every event routed by the `userId` it carries to
 * that user's open sockets (so connections created after a socket opened are streamed too, and another user's
 * never are). Each event is decoded and serialised once, however many sockets get it.
 */
import type { RawMessage } from '@wahooks/broker';
import { StreamMarkerType } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import { decodeStreamEvent, type StreamEvent } from './stream-event.js';
import type { Subscriber } from './subscriber.js';

/** Logs about undecodable stream messages, at most one a minute. */
const WARN_EVERY_MS = 60_000;

export class StreamHub {
  private readonly byUser = new Map<string, Set<Subscriber>>();
  /** Replaying subscribers added since the last live message: the next one is their live floor. */
  private awaitingFloor = new Set<Subscriber>();
  private lastWarning = 0;
  private count = 0;

  constructor(
    private readonly publicApiUrl: string,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.count;
  }

  subscribers(): IterableIterator<Subscriber> {
    return (function* (byUser) {
      for (const set of byUser.values()) yield* set;
    })(this.byUser);
  }

  /** From now on `sub` gets its user's live events (buffered while `sub.replaying`). */
  add(sub: Subscriber): void {
    let set = this.byUser.get(sub.userId);
    if (!set) this.byUser.set(sub.userId, (set = new Set()));
    set.add(sub);
    this.count++;
    if (sub.replaying) this.awaitingFloor.add(sub);
  }

  remove(sub: Subscriber): void {
    const set = this.byUser.get(sub.userId);
    if (!set?.delete(sub)) return;
    this.count--;
    if (set.size === 0) this.byUser.delete(sub.userId);
    this.awaitingFloor.delete(sub);
  }

  /** The live reader's handler: every stream message, in stream order. */
  onMessage = (msg: RawMessage, offset: number): void => {
    if (this.awaitingFloor.size > 0) {
      for (const sub of this.awaitingFloor) sub.liveFloor = offset;
      this.awaitingFloor = new Set();
    }
    if (this.count === 0 || msg.properties.type === StreamMarkerType) return;
    const event = this.decode(msg);
    if (!event) return;
    const subs = this.byUser.get(event.userId);
    if (!subs) return;
    for (const sub of subs) sub.live(event, offset);
  };

  decode(msg: RawMessage): StreamEvent | undefined {
    const event = decodeStreamEvent(msg.content, this.publicApiUrl);
    if (!event && Date.now() - this.lastWarning > WARN_EVERY_MS) {
      this.lastWarning = Date.now();
      this.logger.warn(
        { messageId: msg.properties.messageId, type: msg.properties.type },
        'event stream: a message that is not a valid connection.whatsapp.event was skipped',
      );
    }
    return event;
  }
}
