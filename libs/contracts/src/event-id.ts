/**
 * The one event-id generator: `evt_` + a lower-case ULID (48-bit ms time + 80 random bits, Crockford base32).
 * Monotonic within this process, so ids made in the same millisecond still sort in the order they were made.
 * The id is the idempotency key of every consumer (and the AMQP messageId, the `webhook-id` header).
 */
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';

// ulid's own PRNG asks the OS for one byte per character (16 calls per id, ~2 % of the connection service's CPU
// under inbound load); this one serves the same bytes from a buffer refilled 4 KB at a time.
const pool = new Uint8Array(4096);
let next = pool.length;
const pooledPrng = (): number => {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256; // [0, 1), as ulid's own
};

const ulid = monotonicFactory(pooledPrng);

/** `nowMs` (ms since the epoch) seeds the time part; an earlier time than the last id's keeps the order anyway. */
export const newEventId = (nowMs: number = Date.now()): string => `evt_${ulid(nowMs).toLowerCase()}`;

/** What consumers accept: ours are lower-case ULIDs, older producers' ids any letters and digits. */
export const EventId = z.string().regex(/^evt_[0-9A-Za-z]+$/);
