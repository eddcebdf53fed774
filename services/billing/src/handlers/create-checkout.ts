import type { CommandHandler } from '@wahooks/broker';
import { badRequest, type CreateCheckout } from '@wahooks/contracts';
import { activeSubscription } from '../domain/subscription-state.js';
import { callStripe } from '../stripe/stripe-errors.js';
import { readLiveSubscriptions } from '../stripe/live-subscriptions.js';
import { requireStripe } from './billing-off.js';
import type { HandlerDeps } from './deps.js';

/**
 * POST /api/billing/checkout. No active subscription (read live): a Checkout Session for `quantity` slots at the
 * price of `currency`. An active one: a Billing Portal session on the subscription-update flow, where the user
 * changes the quantity of the one subscription they have (never a second subscription).
 */
export const handleCreateCheckout =
  (deps: HandlerDeps): CommandHandler<typeof CreateCheckout> =>
  async ({ userId, quantity, currency }) => {
    const stripe = requireStripe(deps);
    const price = stripe.settings.prices[currency];
    if (!price) throw badRequest(`currency "${currency}" is not offered on this server`);
    const user = await deps.peers.user(userId);
    const customer = await stripe.customers.ensure(userId, user.email);
    const active = activeSubscription(await readLiveSubscriptions(deps, stripe, userId, customer.customerId));
    const base = `${stripe.settings.frontendUrl}/billing`;
    if (active) {
      const portal = await callStripe(deps.logger, 'billingPortal.sessions.create', () =>
        stripe.client.billingPortal.sessions.create({
          customer: customer.customerId,
          return_url: `${base}?success=true`,
          flow_data: { type: 'subscription_update', subscription_update: { subscription: active.id } },
        }),
      );
      return { url: portal.url };
    }
    const session = await callStripe(deps.logger, 'checkout.sessions.create', () =>
      stripe.client.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.customerId,
        line_items: [{ price, quantity }],
        success_url: `${base}?success=true`,
        cancel_url: `${base}?canceled=true`,
        client_reference_id: userId,
        subscription_data: { metadata: { wahooks_user_id: userId } },
      }),
    );
    if (!session.url) throw new Error('Stripe returned a Checkout Session without a url');
    return { url: session.url };
  };
