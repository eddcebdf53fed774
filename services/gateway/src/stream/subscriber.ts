/**
 * One open socket of `/api/ws`: whose it is, what it asked for, and how events reach it. Live events go straight
 * to the socket; while a resume is replaying they wait in a buffer (the replay hands over with `goLive`). Both
 * are bounded by `maxBufferedBytes`: a socket past it is closed with 4008, so a client that does not read
 * cannot grow the gateway's memory.
 */
import type { WebSocket } from 'ws';
import { StreamClose, StreamGapEvent } from '@wahooks/contracts';
import type { StreamEvent } from './stream-event.js';

export interface SubscriberFilters {
  connectionIds?: ReadonlySet<string>; // undefined: every connection of the user
  events?: ReadonlySet<string>; // undefined: every event ("*")
}

export interface SubscriberOptions {
  maxBufferedBytes: number;
  /** Shared by every socket of the gateway: the most bytes one socket had waiting right after a send. */
  peak: { bufferedBytes: number };
  /** Called once, when the socket is closed for any reason. */
  onClosed(sub: Subscriber): void;
}

/** How long a socket closed for being too slow may take to read its close frame before it is dropped (ms). */
const SLOW_CLOSE_GRACE_MS = 5000;
const GAP = Buffer.from(JSON.stringify({ event: StreamGapEvent }));

export class Subscriber {
  /** Replay in progress: live events are buffered with their stream offset. */
  replaying = false;
  /** Offset of the first stream message the live reader handled after this subscriber was added (replay only). */
  liveFloor: number | undefined;
  alive = true; // answered the last ping
  private buffer: { offset: number; event: StreamEvent }[] = [];
  private bufferBytes = 0;
  private closed = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly ws: WebSocket,
    readonly userId: string,
    readonly filters: SubscriberFilters,
    private readonly options: SubscriberOptions,
  ) {
    ws.once('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  matches(e: StreamEvent): boolean {
    const { connectionIds, events } = this.filters;
    return (!connectionIds || connectionIds.has(e.connectionId)) && (!events || events.has(e.event));
  }

  /** A live event of this subscriber's user, at stream offset `offset`. */
  live(e: StreamEvent, offset: number): void {
    if (this.closed || !this.matches(e)) return;
    if (!this.replaying) {
      this.send(e.bytes());
      return;
    }
    const size = e.bytes().length;
    if (this.bufferBytes + size > this.options.maxBufferedBytes) return this.tooSlow();
    this.buffer.push({ offset, event: e });
    this.bufferBytes += size;
  }

  /** Send one event now (replayed, or live); false when the socket is (now) closed. */
  send(bytes: Buffer): boolean {
    if (this.closed) return false;
    if (this.ws.bufferedAmount + bytes.length > this.options.maxBufferedBytes) {
      this.tooSlow();
      return false;
    }
    this.ws.send(bytes, { binary: false });
    const waiting = this.ws.bufferedAmount;
    if (waiting > this.options.peak.bufferedBytes) this.options.peak.bufferedBytes = waiting;
    return true;
  }

  sendGap(): void {
    this.send(GAP);
  }

  /** The replay is done: everything before stream offset `from` was replayed; buffered events from there on go out. */
  goLive(from: number): void {
    const buffered = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    this.replaying = false;
    for (const { offset, event } of buffered) if (offset >= from && !this.send(event.bytes())) return;
  }

  /** Run `fn` when the socket closes (timers, registrations). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.cleanups.push(fn);
  }

  close(close: { code: number; reason: string }): void {
    if (this.closed) return;
    this.ws.close(close.code, close.reason);
    this.finish();
  }

  /** Past the buffer limit: close with 4008 (after what is already queued) and drop the socket if it stays stuck. */
  private tooSlow(): void {
    if (this.closed) return;
    this.close(StreamClose.tooSlow);
    const ws = this.ws;
    setTimeout(() => ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.bufferBytes = 0;
    for (const fn of this.cleanups.splice(0)) fn();
    this.options.onClosed(this);
  }
}
