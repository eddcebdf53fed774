/**
 * The safety net for pending deliveries whose queue message is gone: a crash between writing the row and
 * publishing its task (test event, replay), a task dead-lettered after `x-delivery-limit` redeliveries, or a
 * publish the broker dropped. Every `sweepIntervalMs` it re-enqueues attempt `attempts + 1` of deliveries
 * overdue by more than the longest wait plus one attempt plus a margin. A duplicate of a task that was merely
 * late is harmless: the `attempts = attempt − 1` guard drops whichever comes second (at worst one extra POST
 * with the same webhook-id). The same sweep deletes settled delivery logs older than `WEBHOOK_LOG_RETENTION`.
 * (`webhook.disabled` events are relayed from the outbox, see service.ts.)
 */
import { delayBuckets, type RetryPolicy } from '../domain/retry-schedule.js';
import type { Config } from '../config.js';
import { queues, type Deps } from './deps.js';

const SWEEP_BATCH = 500;

/** How overdue a pending delivery's next attempt must be before its task counts as lost. */
export function staleAfterMs(config: Config, policy: RetryPolicy): number {
  const longestWait = Math.max(0, ...delayBuckets(policy), config.busyDelayMs);
  return longestWait + config.timeoutMs + config.endpointMaxWaitMs + config.sweepMarginMs;
}

export function startStaleDeliverySweep(deps: Pick<Deps, 'config' | 'policy' | 'deliveries' | 'broker' | 'logger'>) {
  const { config, policy, deliveries, logger } = deps;
  const q = queues(deps.broker);
  const staleMs = staleAfterMs(config, policy);
  let running: Promise<void> | null = null;
  let stopped = false;

  /** Retention: a few batches per run, so a large backlog is worked off over several intervals. */
  const purge = async () => {
    if (config.logRetentionMs <= 0) return;
    for (let i = 0; i < 10 && !stopped; i++) {
      const n = await deliveries.purgeOlderThan(config.logRetentionMs, SWEEP_BATCH * 10);
      if (n.deliveries + n.events > 0) logger.info({ ...n }, 'purged old delivery logs');
      if (n.deliveries < SWEEP_BATCH * 10 && n.events < SWEEP_BATCH * 10) return;
    }
  };

  const sweepOnce = async (): Promise<number> => {
    await purge();
    let total = 0;
    for (;;) {
      const stale = await deliveries.claimStale(staleMs, SWEEP_BATCH);
      // Claimed rows are pushed forward before the publish: a crash here only delays them one more period.
      await Promise.all(stale.map((d) => q.attempt(d.id, d.attempts + 1)));
      total += stale.length;
      if (stale.length < SWEEP_BATCH || stopped) return total;
    }
  };

  const tick = () => {
    if (running || stopped) return;
    running = sweepOnce()
      .then((n) => {
        if (n > 0) logger.warn({ count: n, staleAfterMs: staleMs }, 're-enqueued pending deliveries with no task');
      })
      .catch((err: unknown) => logger.warn({ err }, 'stale delivery sweep failed; next interval retries'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, config.sweepIntervalMs);
  timer.unref();

  return {
    sweepOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
