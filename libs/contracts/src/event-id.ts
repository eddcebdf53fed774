/**
 * The one event-id generator: `evt_` + a lower-case ULID (48-bit ms time + 80 random bits, Crockford base32).
 * Monotonic within this process, so ids made in the same millisecond still sort in the order they were made.
 * The id is the idempotency key of every consumer (and the AMQP messageId, the `webhook-id` header).
 */
import { monotonicFactory } from 'ulid';
import { z } from 'zod';

const ulid = monotonicFactory();

/** `nowMs` (ms since the epoch) seeds the time part; an earlier time than the last id's keeps the order anyway. */
export const newEventId = (nowMs: number = Date.now()): string => `evt_${ulid(nowMs).toLowerCase()}`;

/** What consumers accept: ours are lower-case ULIDs, older producers' ids any letters and digits. */
export const EventId = z.string().regex(/^evt_[0-9A-Za-z]+$/);
