import { AppError } from '@wahooks/contracts';
import type { HandlerDeps, StripeDeps } from './deps.js';

/** Checkout, portal and the Stripe webhook on a self-hosted server (no STRIPE_SECRET_KEY). */
export const billingOff = () => new AppError(409, 'Billing is not enabled on this server');

export function requireStripe(deps: Pick<HandlerDeps, 'stripe'>): StripeDeps {
  if (!deps.stripe) throw billingOff();
  return deps.stripe;
}
