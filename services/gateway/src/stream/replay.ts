/**
 * Resume (`after=<event id>`): replay the user's events that follow that event in the stream, then hand over to
 * the live fan-out with no gap and no duplicate at the seam.
 *
 * Positions, not ids, decide what follows: ids are time-ordered, but two connections' events can reach the stream
 * in another order than their ids (each connection's replica relays its own outbox), so "after" means "after it in
 * the stream", the order the client received them in.
 *
 * 1. The subscriber joins the hub first (its live events are buffered with their stream offsets), then a marker
 *    is appended to the stream: everything the client could have received is before the marker.
 * 2. A reader starts at the time in the id (less STREAM_CLOCK_SKEW_MS) and seeks the message with that id,
 *    delivering nothing. Reading the marker instead means the id is no longer kept (or never was): the socket
 *    gets `{"event":"stream.gap"}` and a second reader delivers the user's events from that time on (from the
 *    start of the stream when the id is older than what is kept).
 * 3. Once found, it delivers the user's (filtered) events until it reaches the live floor: the offset of the first
 *    message the live reader handled after the subscriber joined. The buffered live events from that offset on
 *    then go out, and the socket is live. Every offset below the seam came from the replay, every one at or above
 *    it from the live reader.
 */
import { randomUUID } from 'node:crypto';
import type { RawMessage, StreamConnection, StreamConsumer } from '@wahooks/broker';
import { StreamClose, StreamMarkerType } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { Slots } from './slots.js';
import type { StreamHub } from './stream-hub.js';
import type { Subscriber } from './subscriber.js';

export interface ReplayDeps {
  connection: StreamConnection;
  hub: StreamHub;
  /** Append a marker with this messageId to the stream (confirmed). */
  publishMarker(id: string): Promise<void>;
  slots: Slots;
  clockSkewMs: number;
  logger: Logger;
}

/** Messages a replay reader may have unacknowledged: it reads as fast as the broker sends. */
const REPLAY_PREFETCH = 200;

/** Adds `sub` (not yet in the hub) and replays from after `after`; returns once the replay has started. */
export async function resume(deps: ReplayDeps, sub: Subscriber, after: { id: string; timeMs: number }): Promise<void> {
  const { connection, hub, logger } = deps;
  // Without the stream connection the stream may not even be declared yet: the marker would be lost.
  if (!connection.isConnected()) return sub.close(StreamClose.unavailable);
  sub.replaying = true;
  hub.add(sub);
  const release = await deps.slots.acquire();
  if (sub.isClosed) return release();

  const markerId = `mrk_${randomUUID()}`;
  try {
    await deps.publishMarker(markerId);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'event stream: resume marker not published; closing the socket');
    release();
    return sub.close(StreamClose.unavailable);
  }
  if (sub.isClosed) return release();

  const startMs = Math.min(after.timeMs, Date.now()) - deps.clockSkewMs;
  let seeking = true;
  let reader: StreamConsumer | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    void reader?.stop();
    release();
  };
  sub.onClose(finish);

  const isMarker = (msg: RawMessage) => msg.properties.type === StreamMarkerType;
  const handle = (msg: RawMessage, offset: number) => {
    if (seeking) {
      if (msg.properties.messageId === after.id) seeking = false;
      else if (isMarker(msg) && msg.properties.messageId === markerId) gap();
      return;
    }
    if (sub.liveFloor !== undefined && offset >= sub.liveFloor) {
      sub.goLive(offset);
      return finish();
    }
    if (isMarker(msg)) return;
    const event = hub.decode(msg);
    if (event && event.userId === sub.userId && sub.matches(event)) sub.send(event.bytes());
  };
  const startReader = (label: string) => {
    const previous = reader;
    const r: StreamConsumer = connection.consume(
      { timestampMs: startMs },
      (msg, offset) => {
        if (r === reader && !done && !sub.isClosed) handle(msg, offset);
      },
      { label, prefetch: REPLAY_PREFETCH },
    );
    reader = r;
    void previous?.stop();
  };
  const gap = () => {
    seeking = false;
    sub.sendGap();
    startReader(`replay-all:${after.id}`);
  };
  startReader(`replay:${after.id}`);
}
