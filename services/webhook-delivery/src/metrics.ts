/**
 * Webhook delivery's Prometheus metrics (served on METRICS_PORT by main.ts), counted once an attempt's outcome
 * is recorded (attempt-outcome.ts):
 * - webhook_deliveries_total{outcome}: deliveries that ended: `delivered` (a 2xx), or `parked` (every attempt of
 *   the retry ladder failed, or the receiver answered 410 Gone; replayable from the API).
 * - webhook_retries_total: failed attempts scheduled again on the retry ladder.
 * - webhook_parked_total{reason}: the parked ones by why, `exhausted` or `gone` (410).
 * - webhook_attempt_duration_seconds{result}: one POST, by `2xx`…`5xx` or `error` (no HTTP answer: timeout,
 *   refused, blocked address). Its _count is every attempt made.
 */
import { counter, histogram } from '@wahooks/metrics';
import type { SendResult } from './adapters/http-sender.js';

const deliveries = counter({
  name: 'webhook_deliveries_total',
  help: 'Webhook deliveries that ended, by outcome (delivered, parked)',
  labelNames: ['outcome'],
});
const delivered = deliveries.child('delivered');
const parkedDeliveries = deliveries.child('parked');
const retries = counter({ name: 'webhook_retries_total', help: 'Failed webhook attempts scheduled again' }).child();
const parked = counter({
  name: 'webhook_parked_total',
  help: 'Webhook deliveries parked after their last attempt, by reason (exhausted, gone)',
  labelNames: ['reason'],
});
const parkedExhausted = parked.child('exhausted');
const parkedGone = parked.child('gone');
const attemptSeconds = histogram({
  name: 'webhook_attempt_duration_seconds',
  help: 'Webhook attempts (one POST each), by result: the status class, or error when no HTTP answer came',
  labelNames: ['result'],
});
const byResult = {
  '2xx': attemptSeconds.child('2xx'),
  '3xx': attemptSeconds.child('3xx'),
  '4xx': attemptSeconds.child('4xx'),
  '5xx': attemptSeconds.child('5xx'),
  error: attemptSeconds.child('error'),
};

function resultOf(r: SendResult): keyof typeof byResult {
  const s = r.statusCode;
  if (s === null || s < 200 || s >= 600) return 'error';
  return s < 300 ? '2xx' : s < 400 ? '3xx' : s < 500 ? '4xx' : '5xx';
}

/** One recorded attempt: what it led to (`delivered`, `pending` = retried, `failed` = parked) and its POST. */
export function countAttempt(status: 'delivered' | 'pending' | 'failed', result: SendResult): void {
  byResult[resultOf(result)].observe(result.durationMs / 1000);
  if (status === 'delivered') delivered.inc();
  else if (status === 'pending') retries.inc();
  else {
    parkedDeliveries.inc();
    (result.statusCode === 410 ? parkedGone : parkedExhausted).inc();
  }
}
