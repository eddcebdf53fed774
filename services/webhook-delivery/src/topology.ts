/**
 * Queues this service owns (all quorum, declared on every (re)connect through broker.addSetup). Names are
 * namespaced by the broker. Changing arguments of a live queue fails the declare: use a new name.
 *
 *   events exchange ── connection.whatsapp.event ──▶ webhook-delivery:events:fan-out   (broker.subscribe)
 *   fan-out ──▶ webhook-delivery:deliveries:attempt  {d: deliveryId, a: attempt number}
 *   attempt failed ──▶ webhook-delivery:delay:<ttl>  (x-message-ttl, dead-lettered back to :attempt)
 *   ladder exhausted ──▶ webhook-delivery:deliveries:parked  (status failed in Postgres; replay by API)
 */
import type { ConfirmChannel, Options } from 'amqplib';
import { Exchanges } from '@wahooks/contracts';
import { formatDuration } from './domain/duration.js';

type Namer = (raw: string) => string;

export const AttemptQueue = 'webhook-delivery:deliveries:attempt';
export const ParkedQueue = 'webhook-delivery:deliveries:parked';
export const delayQueue = (ms: number) => `webhook-delivery:delay:${formatDuration(ms)}`;

/** Parked deliveries kept in the queue for inspection; Postgres is the record, so the oldest may be dropped. */
const PARKED_MAX = 100_000;

/** The work queue: a message a consumer keeps crashing on goes to dead-letters:webhook-delivery. */
const attemptQueueOptions = (name: Namer): Options.AssertQueue => ({
  durable: true,
  arguments: {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': name(Exchanges.deadLetters),
    'x-dead-letter-routing-key': 'webhook-delivery',
    'x-dead-letter-strategy': 'at-least-once', // a retry must not vanish between queues
    'x-overflow': 'reject-publish', // required by at-least-once dead-lettering
    'x-delivery-limit': 20,
  },
});

/** A rung of the ladder: one fixed TTL per queue (per-message TTLs would block each other at the head). */
const delayQueueOptions = (name: Namer, ttlMs: number): Options.AssertQueue => ({
  durable: true,
  arguments: {
    'x-queue-type': 'quorum',
    'x-message-ttl': ttlMs,
    'x-dead-letter-exchange': '', // the default exchange: routing key = queue name
    'x-dead-letter-routing-key': name(AttemptQueue),
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  },
});

export function declareTopology(name: Namer, delays: number[]) {
  return async (ch: ConfirmChannel): Promise<void> => {
    await ch.assertQueue(name(AttemptQueue), attemptQueueOptions(name));
    await ch.assertQueue(name(ParkedQueue), {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-max-length': PARKED_MAX, 'x-overflow': 'drop-head' },
    });
    for (const ms of delays) await ch.assertQueue(name(delayQueue(ms)), delayQueueOptions(name, ms));
  };
}

/** The thin task on every queue above: ids only, the body stays in Postgres. */
export interface AttemptTask {
  d: string; // delivery id
  a: number; // the attempt number this message is for (1-based, over the delivery's life)
}
export const encodeTask = (t: AttemptTask) => Buffer.from(JSON.stringify(t));
export function decodeTask(content: Buffer): AttemptTask | null {
  const t = decodeTasks(content);
  return t && t.length === 1 ? t[0]! : null;
}

/**
 * First attempts of one fan-out batch travel as one message `{ds: [ids], a}` (a queue write per batch, not per
 * delivery); acked when every one of them is settled, so a crash redelivers all and the `attempts = a − 1`
 * guard drops those already recorded. One id is encoded as a plain task.
 */
export const encodeTasks = (ds: string[], a: number) =>
  ds.length === 1 ? encodeTask({ d: ds[0]!, a }) : Buffer.from(JSON.stringify({ ds, a }));
export function decodeTasks(content: Buffer): AttemptTask[] | null {
  try {
    const t = JSON.parse(content.toString('utf8')) as { d?: unknown; ds?: unknown; a?: unknown };
    if (!Number.isInteger(t.a) || (t.a as number) < 1) return null;
    const a = t.a as number;
    if (typeof t.d === 'string') return [{ d: t.d, a }];
    if (Array.isArray(t.ds) && t.ds.length > 0 && t.ds.every((d) => typeof d === 'string')) {
      return (t.ds as string[]).map((d) => ({ d, a }));
    }
    return null;
  } catch {
    return null;
  }
}
