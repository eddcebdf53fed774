/**
 * Queues this service owns (all quorum, declared on every (re)connect through broker.addSetup). Names are
 * namespaced by the broker. Changing arguments of a live queue fails the declare: use a new name.
 *
 *   events exchange ── connection.whatsapp.event ──▶ webhook-delivery:events:fan-out   (broker.subscribe)
 *   fan-out ──▶ webhook-delivery:deliveries:attempt  DeliveryAttemptTask {deliveryIds, attempt}
 *   attempt failed ──▶ webhook-delivery:delay:<ttl>  (x-message-ttl, dead-lettered back to :attempt)
 *   ladder exhausted ──▶ webhook-delivery:deliveries:parked  (status failed in Postgres; replay by API)
 *
 * Every message on them is a DeliveryAttemptTask (libs/contracts tasks/webhook-delivery.ts).
 */
import type { QueueOptions, SetupChannel } from '@wahooks/broker';
import { attemptTaskBody, Exchanges, readAttemptTask } from '@wahooks/contracts';
import { formatDuration } from './domain/duration.js';

type Namer = (raw: string) => string;

export const AttemptQueue = 'webhook-delivery:deliveries:attempt';
export const ParkedQueue = 'webhook-delivery:deliveries:parked';
export const delayQueue = (ms: number) => `webhook-delivery:delay:${formatDuration(ms)}`;

/** Parked deliveries kept in the queue for inspection; Postgres is the record, so the oldest may be dropped. */
const PARKED_MAX = 100_000;

/** The work queue: a message a consumer keeps crashing on goes to dead-letters:webhook-delivery. */
const attemptQueueOptions = (name: Namer): QueueOptions => ({
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
const delayQueueOptions = (name: Namer, ttlMs: number): QueueOptions => ({
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
  return async (ch: SetupChannel): Promise<void> => {
    await ch.assertQueue(name(AttemptQueue), attemptQueueOptions(name));
    await ch.assertQueue(name(ParkedQueue), {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-max-length': PARKED_MAX, 'x-overflow': 'drop-head' },
    });
    for (const ms of delays) await ch.assertQueue(name(delayQueue(ms)), delayQueueOptions(name, ms));
  };
}

/** One attempt of one delivery, as the consumer works on it (a task message carries one or more). */
export interface AttemptTask {
  deliveryId: string;
  attempt: number; // the attempt number this message is for (1-based, over the delivery's life)
}

/**
 * The thin task on every queue above: ids only, the body stays in Postgres. First attempts of one fan-out batch
 * travel as one message (a queue write per batch, not per delivery); it is acked when every one of them is
 * settled, so a crash redelivers all and the `attempts = attempt − 1` guard drops those already recorded.
 */
export const encodeTasks = (deliveryIds: string[], attempt: number): Buffer =>
  Buffer.from(JSON.stringify(attemptTaskBody(deliveryIds, attempt)));
export const encodeTask = (t: AttemptTask): Buffer => encodeTasks([t.deliveryId], t.attempt);

/**
 * The attempts of one message, or null when it is not a task (dead-lettered). Messages an older deployment left
 * on the queues (version 1, `{d, a}` / `{ds, a}`) are read too: an upgrade loses none of them.
 */
export function decodeTasks(content: Buffer): AttemptTask[] | null {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return null;
  }
  const task = readAttemptTask(json);
  return task && task.deliveryIds.map((deliveryId) => ({ deliveryId, attempt: task.attempt }));
}
export function decodeTask(content: Buffer): AttemptTask | null {
  const t = decodeTasks(content);
  return t && t.length === 1 ? t[0]! : null;
}
