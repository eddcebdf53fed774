/**
 * Upgrade path from the quorum delay and parked queues to the classic ones (topology.ts `LegacyQueues`).
 * At start: the legacy parked queue's messages move to the new parked queue and it is deleted; each legacy delay
 * queue still holding messages is left to drain by itself (its messages dead-letter to the attempt queue at TTL)
 * and deleted once empty, checked again every TTL. An older replica still running keeps declaring and feeding
 * the legacy queues, so a queue kept busy is simply retried later; a task lost on the way is re-enqueued by the
 * stale sweep. Legacy names come from the current retry schedule: delay queues of an older, different schedule
 * are not known here and are deleted by hand (README "Queues").
 */
import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import { LegacyQueues, ParkedQueue } from '../topology.js';

const RETRY_MARGIN_MS = 1000; // after a TTL, so the last message has expired

export function retireLegacyQueues(broker: Broker, delays: number[], logger: Logger) {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const retire = async (queue: string, moveTo: string | undefined, retryAfterMs: number): Promise<void> => {
    if (stopped) return;
    try {
      const outcome = await broker.retireQueue(queue, { moveTo });
      if (outcome.moved > 0) logger.info({ queue, moveTo, moved: outcome.moved }, 'moved messages off a retired queue');
      if (outcome.state === 'deleted') logger.info({ queue }, 'deleted a retired queue');
      if (outcome.state !== 'kept') return;
      logger.info({ queue, ...outcome, retryAfterMs }, 'retired queue not empty yet; retrying');
    } catch (err) {
      logger.warn({ queue, err: (err as Error).message, retryAfterMs }, 'retiring a queue failed; retrying');
    }
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      void retire(queue, moveTo, retryAfterMs);
    }, retryAfterMs);
    t.unref();
    timers.add(t);
  };

  const done = Promise.all([
    retire(LegacyQueues.parked, ParkedQueue, 60_000),
    ...[...new Set(delays)].map((ms) => retire(LegacyQueues.delay(ms), undefined, ms + RETRY_MARGIN_MS)),
  ]).then(() => undefined);

  return {
    /** Resolves when the first pass over every legacy name is done (queues kept are retried later). */
    done,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
