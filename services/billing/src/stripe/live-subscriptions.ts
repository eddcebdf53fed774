/**
 * Reads a customer's subscriptions live from Stripe (status and checkout do, as the original did) and brings
 * the projection up to date with them in the same call, so the gate agrees with what the user was just shown
 * even when a webhook is late or was lost.
 */
import type { HandlerDeps, StripeDeps } from '../handlers/deps.js';
import { subscriptionState, type SubscriptionState } from '../domain/subscription-state.js';
import { callStripe } from './stripe-errors.js';

/** More than one customer ever holds in practice (one subscription per customer, plus canceled ones). */
const LIST_LIMIT = 20;

export async function readLiveSubscriptions(
  deps: Pick<HandlerDeps, 'sql' | 'projection' | 'relay' | 'logger'>,
  stripe: StripeDeps,
  userId: string,
  customerId: string,
): Promise<SubscriptionState[]> {
  // Stripe's timestamps are whole seconds: an event created in the second of this read counts as newer.
  const syncedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const list = await callStripe(deps.logger, 'subscriptions.list', () =>
    stripe.client.subscriptions.list({ customer: customerId, status: 'all', limit: LIST_LIMIT }),
  );
  const states = list.data.map(subscriptionState);
  const { published } = await deps.sql.transaction((tx) =>
    deps.projection.apply(tx, { userId, subscriptions: states, syncedAt, publish: 'if-changed' }),
  );
  if (published) deps.relay.kick();
  return states;
}
