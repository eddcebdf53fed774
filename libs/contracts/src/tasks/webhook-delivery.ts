/**
 * webhook-delivery's work-queue task: the one message on its attempt queue, its delay queues (the retry
 * ladder: each dead-letters back to the attempt queue when its TTL expires) and its parked queue. Producer and
 * consumer are webhook-delivery itself (fan-out, attempt handler, stale sweep, test and replay commands).
 *
 * Ids only: the event body, the webhook and the delivery's state stay in Postgres. One message per attempt (the
 * hottest message in the system), so the shape is flat and small: about 80 bytes for one delivery.
 */
import { z } from 'zod';
import { defineTask } from '../define.js';

/** A delivery row id (uuid). Not re-checked here: a task naming an unknown delivery is dropped by its consumer. */
const DeliveryId = z.string().min(1);
/** 1-based, counted over the delivery's whole life (a replay continues it); the consumer's duplicate guard. */
const AttemptNumber = z.number().int().min(1);

export const DeliveryAttemptTask = defineTask({
  name: 'webhook-delivery.delivery.attempt',
  version: 2,
  payload: z.object({
    version: z.literal(2),
    /** One delivery, or the first attempts of one fan-out batch (one queue write per batch, not per delivery). */
    deliveryIds: z.array(DeliveryId).min(1),
    attempt: AttemptNumber,
  }),
  summary: 'Make attempt number `attempt` of each delivery in `deliveryIds`; acked once every one is settled',
});
export type DeliveryAttemptTask = z.output<typeof DeliveryAttemptTask.payload>;

/**
 * Version 1, written by deployments before the task had a version: `{d: id, a: attempt}` or `{ds: [ids], a}`.
 * Decoded only, never written: messages of an older deployment may still wait on the delay and parked queues
 * (the longest rung holds them for its whole TTL) when the new one starts, and must not be lost. Drop this
 * once no deployment older than version 2 can have left messages behind.
 */
const AttemptTaskV1 = z.union([
  z.object({ d: DeliveryId, a: AttemptNumber }),
  z.object({ ds: z.array(DeliveryId).min(1), a: AttemptNumber }),
]);

/** The body (before JSON) of the current version of the task. Throws on an empty list or an attempt below 1. */
export const attemptTaskBody = (deliveryIds: string[], attempt: number): DeliveryAttemptTask =>
  DeliveryAttemptTask.payload.parse({ version: 2, deliveryIds, attempt });

/**
 * A task body (parsed JSON) of either version, as version 2; null when it is neither (the consumer
 * dead-letters it). A future version is refused too: roll forward, not back, over queued tasks.
 */
export function readAttemptTask(body: unknown): DeliveryAttemptTask | null {
  const current = DeliveryAttemptTask.payload.safeParse(body);
  if (current.success) return current.data;
  const v1 = AttemptTaskV1.safeParse(body);
  if (!v1.success) return null;
  const deliveryIds = 'd' in v1.data ? [v1.data.d] : v1.data.ds;
  return { version: 2, deliveryIds, attempt: v1.data.a };
}
