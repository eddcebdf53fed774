import type { CommandHandler } from '@wahooks/broker';
import type { CreatePortal } from '@wahooks/contracts';
import { callStripe } from '../stripe/stripe-errors.js';
import { requireStripe } from './billing-off.js';
import type { HandlerDeps } from './deps.js';

/** POST /api/billing/portal: a Billing Portal session returning to {FRONTEND_URL}/billing. */
export const handleCreatePortal =
  (deps: HandlerDeps): CommandHandler<typeof CreatePortal> =>
  async ({ userId }) => {
    const stripe = requireStripe(deps);
    const user = await deps.peers.user(userId);
    const customer = await stripe.customers.ensure(userId, user.email);
    const portal = await callStripe(deps.logger, 'billingPortal.sessions.create', () =>
      stripe.client.billingPortal.sessions.create({
        customer: customer.customerId,
        return_url: `${stripe.settings.frontendUrl}/billing`,
      }),
    );
    return { url: portal.url };
  };
