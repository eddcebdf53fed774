import type { CommandHandler } from '@wahooks/broker';
import { slotDecision, type BillingStatus, type GetBillingStatus } from '@wahooks/contracts';
import type { z } from 'zod';
import { activeSubscription } from '../domain/subscription-state.js';
import { readLiveSubscriptions } from '../stripe/live-subscriptions.js';
import type { HandlerDeps } from './deps.js';
import { slotAllowance } from './get-slots.js';

type Status = z.input<typeof BillingStatus>;

const available = (limit: number | null, used: number) => (limit === null ? null : Math.max(0, limit - used));

/**
 * GET /api/billing/status. Hosted: the customer is created if missing (404 User not found without a users
 * row), the subscriptions are read live from Stripe (and the projection refreshed with them), and the slots
 * follow the one rule: the active subscription's quantity. Self-hosted: no Stripe; the free slots
 * (BILLING_FREE_SLOTS) and the connection service's MAX_CONNECTIONS_PER_USER, the smaller one.
 */
export const handleGetStatus =
  (deps: HandlerDeps): CommandHandler<typeof GetBillingStatus> =>
  async ({ userId }): Promise<Status> => {
    const stripe = deps.stripe;
    if (!stripe) {
      // The gate's rule: the free slots and the connection service's per-user bound, whichever is smaller.
      const [allowance, { used, serverCap }] = await Promise.all([
        slotAllowance(deps, userId),
        deps.peers.usedSlots(userId),
      ]);
      const decision = slotDecision(allowance, used, serverCap);
      const limit = decision.allowed ? decision.limit : decision.reason === 'full' ? decision.limit : 0;
      return {
        enabled: false,
        subscription: null,
        slots: { paid: 0, used, available: available(limit, used), free: deps.freeSlots },
      };
    }

    const user = await deps.peers.user(userId);
    const customer = await stripe.customers.ensure(userId, user.email);
    const [subscriptions, { used }] = await Promise.all([
      readLiveSubscriptions(deps, stripe, userId, customer.customerId),
      deps.peers.usedSlots(userId),
    ]);
    const active = activeSubscription(subscriptions);
    // Shown: the active subscription, else the newest one (e.g. "canceled"), which pays for nothing.
    const shown = active ?? subscriptions[0];
    const paid = active?.quantity ?? 0;
    const currency = shown?.currency === 'inr' ? 'inr' : 'usd';
    return {
      enabled: true,
      subscription: {
        active: active !== undefined,
        status: shown?.status ?? null,
        cancelAtPeriodEnd: shown?.cancelAtPeriodEnd ?? false,
        currentPeriodEnd: shown?.currentPeriodEnd?.toISOString() ?? null,
        monthlyAmount: active ? ((active.unitAmount ?? 0) * active.quantity) / 100 : 0,
        currency,
      },
      slots: { paid, used, available: available(user.isAdmin ? null : paid, used) },
    };
  };
