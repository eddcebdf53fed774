/**
 * Queues this service owns, declared on every (re)connect through broker.addSetup. Names are namespaced by the
 * broker. Changing the type or arguments of a live queue fails the declare: use a new name (see LegacyQueues).
 *
 *   events exchange ── connection.whatsapp.event ──▶ webhook-delivery:events:fan-out   (broker.subscribe)
 *   fan-out ──▶ webhook-delivery:deliveries:attempt  DeliveryAttemptTask {deliveryIds, attempt}     quorum
 *   attempt failed ──▶ webhook-delivery:delay-v2:<ttl>  (x-message-ttl, dead-lettered back to :attempt)  classic
 *   ladder exhausted ──▶ webhook-delivery:deliveries:parked-v2  (status failed in Postgres; replay by API)  classic
 *
 * Every message on them is a DeliveryAttemptTask (libs/contracts tasks/webhook-delivery.ts): ids only. The
 * delivery row in Postgres is the durable record of the work (status, attempts, due time), and the stale sweep
 * (handlers/sweep-stale-deliveries.ts) re-enqueues any pending delivery whose task is gone. So only the work
 * queue is quorum (it needs `x-delivery-limit` against a message that crashes its consumer); a delay or parked
 * message lost with the node is recovered by the sweep, and costs ~75 KB and 2 Erlang processes per queue at
 * rest instead of ~400 KB, 3-4 processes and a Raft member ticking (measured on RabbitMQ 3.10, README "Queues").
 */
import type { QueueOptions, SetupChannel } from '@wahooks/broker';
import { attemptTaskBody, Exchanges, readAttemptTask } from '@wahooks/contracts';
import { formatDuration } from './domain/duration.js';

type Namer = (raw: string) => string;

export const AttemptQueue = 'webhook-delivery:deliveries:attempt';
export const ParkedQueue = 'webhook-delivery:deliveries:parked-v2';
export const delayQueue = (ms: number) => `webhook-delivery:delay-v2:${formatDuration(ms)}`;

/**
 * The quorum queues that the classic ones above replaced (a queue's type cannot change in place): retired at
 * start by adapters/legacy-queues.ts. Delay queues drain by themselves (each message dead-letters to the
 * attempt queue when its TTL expires); parked messages are moved to the new parked queue.
 */
export const LegacyQueues = {
  parked: 'webhook-delivery:deliveries:parked',
  delay: (ms: number) => `webhook-delivery:delay:${formatDuration(ms)}`,
};

/** Parked deliveries kept in the queue for inspection; Postgres is the record, so the oldest may be dropped
 * (and a classic queue, not replicated, is enough). */
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

/**
 * A rung of the ladder: one fixed TTL per queue (per-message TTLs would block each other at the head). Classic
 * and durable: with one TTL per queue, messages expire at the head in order. Classic dead-lettering is
 * at-most-once (no `x-dead-letter-strategy`); a task lost between here and the attempt queue is re-enqueued by the
 * stale sweep from its Postgres row.
 */
const delayQueueOptions = (name: Namer, ttlMs: number): QueueOptions => ({
  durable: true,
  arguments: {
    'x-queue-type': 'classic',
    'x-message-ttl': ttlMs,
    'x-dead-letter-exchange': '', // the default exchange: routing key = queue name
    'x-dead-letter-routing-key': name(AttemptQueue),
  },
});

export function declareTopology(name: Namer, delays: number[]) {
  return async (ch: SetupChannel): Promise<void> => {
    await ch.assertQueue(name(AttemptQueue), attemptQueueOptions(name));
    await ch.assertQueue(name(ParkedQueue), {
      durable: true,
      arguments: { 'x-queue-type': 'classic', 'x-max-length': PARKED_MAX, 'x-overflow': 'drop-head' },
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
