/**
 * One attempt of one delivery, for a task {deliveryId, attempt} from the work queue. Crash-safe order:
 *   1. send (webhook-id = event id, so a resend after a crash carries the same id),
 *   2. publish the follow-up (retry on a delay queue, or the parked copy),
 *   3. record the outcome in Postgres (applied only if the delivery still has attempt − 1 attempts),
 *   4. ack (the consumer does it when we return 'ack').
 * A crash before 3 redelivers the task and the attempt is repeated; a follow-up that arrives before its
 * outcome is durable is deferred, a duplicate of an attempt already recorded is dropped.
 * Here: the tasks of a message, each delivery loaded (batched) and checked, the endpoint's lane, inline first
 * attempts. Step 1 is attempt-send.ts, steps 2–3 attempt-outcome.ts.
 */
import type { RawMessage, RawOutcome } from '@wahooks/broker';
import { createBatcher } from '../adapters/batcher.js';
import { createEndpointLanes } from '../adapters/endpoint-lanes.js';
import type { AttemptTarget } from '../adapters/deliveries-repo.js';
import { decodeTasks, type AttemptTask } from '../topology.js';
import { createAttemptRecorder } from './attempt-outcome.js';
import { sendAttempt } from './attempt-send.js';
import { queues, type Deps } from './deps.js';

/** Endpoints answering faster than this (EWMA) get first attempts inline; slower ones through the queue. */
const INLINE_MAX_LATENCY_MS = 250;

export function handleAttemptDelivery(deps: Deps) {
  const { config, deliveries, sender, broker, logger } = deps;
  const load = createBatcher(deliveries.loadForAttempt, { maxSize: 500, maxInFlight: 3 });
  const recordAttempt = createAttemptRecorder(deps);
  const q = queues(broker);

  const lanes = createEndpointLanes({
    concurrency: config.endpointConcurrency,
    backlog: config.endpointBacklog,
    maxWaitMs: config.endpointMaxWaitMs,
  });

  /** Attempt `a` of delivery `t`, then its follow-up and outcome. */
  const attempt = async (t: AttemptTarget, a: number): Promise<void> => {
    const startedAt = new Date();
    const result = await sendAttempt(sender, t, a);
    await recordAttempt(t, a, startedAt, result);
  };

  // First attempts run inline in the fan-out handler when the endpoint is known to be fast: no queue hop, no
  // second load. At most `inlineMax` at once, so a receiver that turns slow can hold only part of the fan-out
  // consumer's prefetch window; everything else goes through the work queue.
  const inlineMax = Math.max(1, Math.floor(config.fanoutPrefetch / 2));
  let inlineNow = 0;

  /** One attempt for a task; `inline` when called from the fan-out (refusals then go to the work queue). */
  const runTask = async (task: AttemptTask, inline: boolean): Promise<void> => {
    const t = await load(task.deliveryId);
    if (!t || t.status !== 'pending' || t.attempts >= task.attempt) return; // gone, settled, or a duplicate
    if (t.attempts < task.attempt - 1) {
      // The previous attempt's outcome is not durable yet (or its process died before writing it, and its
      // redelivered task will write it): look again shortly.
      await q.delay(config.busyDelayMs, task.deliveryId, task.attempt);
      return;
    }
    if (!t.active && !t.forced) {
      await deliveries.failWithoutAttempt(t.id); // disabled meanwhile; a replay can still send it
      return;
    }
    if (inline && (inlineNow >= inlineMax || !lanes.isFast(t.webhook_id, INLINE_MAX_LATENCY_MS))) {
      await q.attempt(task.deliveryId, task.attempt);
      return;
    }
    if (inline) inlineNow++;
    try {
      const done = await lanes.run(t.webhook_id, async () => {
        await attempt(t, task.attempt);
        return true;
      });
      // Endpoint saturated: not an attempt; look again later.
      if (!done)
        await (inline
          ? q.attempt(task.deliveryId, task.attempt)
          : q.delay(config.busyDelayMs, task.deliveryId, task.attempt));
    } finally {
      if (inline) inlineNow--;
    }
  };

  /** Runs one task; false when it failed and could not even be parked on the busy delay queue. */
  const settle = async (task: AttemptTask): Promise<boolean> => {
    try {
      await runTask(task, false);
      return true;
    } catch (err) {
      // Postgres or the broker failed mid-task (the outcome is not recorded, so nothing is lost by trying
      // again). Park the task on the busy delay queue; if even that fails, the message is requeued.
      logger.warn({ err, deliveryId: task.deliveryId, attempt: task.attempt }, 'attempt task failed; retrying later');
      try {
        await q.delay(config.busyDelayMs, task.deliveryId, task.attempt);
        return true;
      } catch {
        return false;
      }
    }
  };

  const handler = async (msg: RawMessage): Promise<RawOutcome> => {
    const tasks = decodeTasks(msg.content);
    if (!tasks) return { deadLetter: 'invalid attempt task' };
    const settled = await Promise.all(tasks.map(settle));
    if (settled.every(Boolean)) return 'ack';
    // Requeue after a pause (a throw would dead-letter it); the tasks already recorded are dropped as duplicates.
    await new Promise((r) => setTimeout(r, 2000));
    return 'requeue';
  };

  // Queue path of the fan-out: the first attempts of one fan-out batch (one event-loop turn) share one message.
  const enqueueFirst = createBatcher(
    async (ids: string[]) => {
      await q.attemptMany(ids, 1);
      return ids.map(() => undefined);
    },
    // Publishes are confirmed one by one: many in flight, so a batch size of 1 behaves like a plain publish.
    { maxSize: config.firstAttemptBatch, maxInFlight: config.firstAttemptBatch === 1 ? 1000 : 8 },
  );
  return Object.assign(handler, {
    close: lanes.close,
    /** Fan-out: first attempt of a new delivery, inline when its endpoint is fast, else enqueued. */
    // Inline first attempts off (the default): publish straight away, without loading the row and its body.
    firstAttempt: (deliveryId: string) =>
      config.inlineFirstAttempt ? runTask({ deliveryId, attempt: 1 }, true) : enqueueFirst(deliveryId),
  });
}
