/**
 * The real-time event stream, `GET /api/ws` on the gateway (services/gateway/README.md, "Event stream"): the
 * RabbitMQ stream it reads, the marker it writes into that stream, the messages a socket receives and its close
 * codes. Defined here once so the gateway, the tests and any SDK agree on them.
 */
import { decodeTime, isValid } from 'ulid';
import { z } from 'zod';
import { EventId } from './event-id.js';

/**
 * A RabbitMQ stream (`x-queue-type: stream`, an append-only log read from an offset): every
 * `connection.whatsapp.event`, bound on the events exchange and kept `STREAM_RETENTION` (x-max-age). Each gateway
 * replica reads it from its tail for live sockets and from a point in time for sockets that resume (`after=`).
 * Declared by the gateway; its arguments never change once it exists (a policy changes retention).
 */
export const EventStreamQueue = 'gateway:event-stream';

/**
 * AMQP `type` of the marker a gateway appends to the stream when a socket resumes (body `{}`, messageId unique):
 * the replay reader knows it has read everything that was in the stream when the socket connected once it reads
 * this marker. No other consumer reads the stream; markers are never shown to clients.
 */
export const StreamMarkerType = 'gateway.stream.marker';

/** Close codes of `/api/ws` (4000/4001/4003 and their reasons as the original). */
export const StreamClose = {
  /** The token could not be checked (the token or connection service did not answer): retry later. */
  authFailed: { code: 4000, reason: 'Authentication failed' },
  missingToken: { code: 4001, reason: 'Missing token' },
  /** Unknown, revoked, expired or badly signed token; also a `connectionId` the user does not own. */
  invalidToken: { code: 4003, reason: 'Invalid token' },
  /** The client did not read fast enough: its buffer passed STREAM_MAX_BUFFERED_BYTES. Reconnect with `after=`. */
  tooSlow: { code: 4008, reason: 'Client too slow: reconnect with after=<last id>' },
  /** A malformed query (`connectionId`, `events` or `after`); the reason says which. */
  badRequest: { code: 4400, reason: 'Bad request' },
  /** The gateway is stopping: reconnect (another replica answers) with `after=`. */
  restart: { code: 1012, reason: 'Service restart' },
  /** A resume could not start (the message broker is unavailable): reconnect later with the same `after=`. */
  unavailable: { code: 1013, reason: 'Try again later' },
} as const;

/** One event as a socket receives it: the original's fields plus `id` (the webhook's `webhook-id`). No `userId`. */
export const StreamMessage = z.object({
  id: EventId,
  event: z.string(),
  connectionId: z.uuid(),
  payload: z.unknown(), // the WAHA payload, media URLs absolute (as in webhook bodies)
  timestamp: z.iso.datetime(), // when the event happened (the WAHA envelope's ms timestamp, as ISO-8601)
});
export type StreamMessage = z.infer<typeof StreamMessage>;

/** Sent first on a resume whose `after` is no longer kept (or unknown): events may have been missed. */
export const StreamGapEvent = 'stream.gap';
export const StreamGapMessage = z.object({ event: z.literal(StreamGapEvent) });

/** ms since the epoch encoded in an event id (`evt_` + ULID), or undefined when it is not one. */
export function eventIdTime(id: string): number | undefined {
  if (!id.startsWith('evt_')) return undefined;
  const ulid = id.slice(4).toUpperCase();
  if (!isValid(ulid)) return undefined;
  return decodeTime(ulid);
}
