/**
 * What follows one attempt, in crash-safe order: the follow-up task first (a retry on a delay queue, or the
 * parked copy once the ladder is exhausted or the receiver answered 410), then the outcome in Postgres (many
 * per statement, see batcher.ts), with the `webhook.disabled` event in the outbox if it disabled the webhook.
 */
import { createBatcher } from '../adapters/batcher.js';
import type { AttemptOutcome, AttemptTarget } from '../adapters/deliveries-repo.js';
import type { SendResult } from '../adapters/http-sender.js';
import { nextDelay, parseRetryAfter } from '../domain/retry-schedule.js';
import { queues, type Deps } from './deps.js';
import { countAttempt } from '../metrics.js';

export type RecordAttempt = (t: AttemptTarget, a: number, startedAt: Date, result: SendResult) => Promise<void>;

export function createAttemptRecorder(deps: Deps): RecordAttempt {
  const { config, deliveries, policy, broker, outbox, logger } = deps;
  const record = createBatcher(
    deliveries.recordOutcomes({
      disableAfterFailures: config.disableAfterFailures,
      disableAfterMs: config.disableAfterMs,
    }),
    { maxSize: 500, maxInFlight: 3 },
  );
  const q = queues(broker);

  return async (t, a, startedAt, result) => {
    let status: AttemptOutcome['status'] = 'delivered';
    let nextAttemptAt: Date | null = null;
    if (!result.ok) {
      // 410 Gone: the receiver asks us to stop (Standard Webhooks); no more attempts.
      const delay =
        result.statusCode === 410 ? null : nextDelay(policy, a - t.series_start, parseRetryAfter(result.retryAfter));
      if (delay === null) {
        status = 'failed';
        await q.park(t.id, a);
      } else {
        status = 'pending';
        nextAttemptAt = new Date(Date.now() + delay);
        await q.delay(delay, t.id, a + 1);
      }
    }
    const outcome: AttemptOutcome = {
      deliveryId: t.id,
      webhookId: t.webhook_id,
      attempt: a,
      status,
      nextAttemptAt,
      startedAt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.ok ? null : result.error,
      responseBody: result.body,
    };
    // The outcome and the webhook's health (counters, auto-disable) are one statement; a disable's event is
    // written to the outbox with it, and the relay publishes it.
    const { disabled } = await record(outcome);
    countAttempt(status, result);
    if (disabled) {
      logger.warn({ webhookId: disabled.id, reason: disabled.disabled_reason }, 'webhook disabled');
      outbox.kick();
    }
  };
}
