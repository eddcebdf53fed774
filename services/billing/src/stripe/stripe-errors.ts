/**
 * Stripe failures as answers: Stripe unreachable or overloaded is a 503 (retry later); Stripe refusing our
 * request (bad key, unknown price) is a 502 that says the server is misconfigured, with the details in the log
 * only (they name prices and keys).
 */
import Stripe from 'stripe';
import { AppError, unavailable } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';

export function stripeFailure(err: unknown, logger: Logger, what: string): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  if (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError
  ) {
    logger.warn({ err: err.message, type: err.type, what }, 'Stripe unavailable');
    return unavailable('Stripe is unavailable, retry shortly');
  }
  logger.error({ err: err.message, type: err.type, code: err.code, what }, 'Stripe refused a request');
  return new AppError(502, 'The payment provider refused the request; the server may be misconfigured');
}

/** Runs one Stripe call with stripeFailure on its error. */
export async function callStripe<T>(logger: Logger, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw stripeFailure(err, logger, what);
  }
}
