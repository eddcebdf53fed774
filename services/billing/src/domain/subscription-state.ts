/**
 * A Stripe subscription as the projection keeps it, and the one rule that turns a customer's subscriptions
 * into slots: the *active* subscription (the newest whose status still pays for service) gives its quantity;
 * without one the user has 0 paid slots. Status, the create gate and enforcement all use this rule.
 */
import type Stripe from 'stripe';

/**
 * Statuses that keep the slots: `active`, `trialing`, and `past_due` (Stripe is still retrying the payment; the
 * original kept the connections then too). `canceled`, `unpaid`, `incomplete`, `incomplete_expired` and `paused`
 * give 0.
 */
export const PAID_STATUSES: ReadonlySet<string> = new Set(['active', 'trialing', 'past_due']);

export interface SubscriptionState {
  id: string;
  customerId: string;
  status: string;
  quantity: number;
  priceId: string | null;
  unitAmount: number | null; // minor units (cents, paise)
  currency: string | null;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  created: Date;
}

const fromUnix = (s: number | null | undefined) => (typeof s === 'number' ? new Date(s * 1000) : null);

/** From the SDK's object. API 2025-04-30.basil keeps the billing period on the item, not the subscription. */
export function subscriptionState(sub: Stripe.Subscription): SubscriptionState {
  const item = sub.items?.data?.[0];
  return {
    id: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status: sub.status,
    quantity: item?.quantity ?? 0,
    priceId: item?.price?.id ?? null,
    unitAmount: item?.price?.unit_amount ?? null,
    currency: item?.price?.currency ?? sub.currency ?? null,
    cancelAtPeriodEnd: sub.cancel_at_period_end === true,
    currentPeriodEnd: fromUnix(item?.current_period_end),
    created: fromUnix(sub.created) ?? new Date(0),
  };
}

/** The newest subscription whose status pays for slots, if any. */
export function activeSubscription<S extends Pick<SubscriptionState, 'status' | 'created'>>(
  subs: readonly S[],
): S | undefined {
  return subs.filter((s) => PAID_STATUSES.has(s.status)).sort((a, b) => b.created.getTime() - a.created.getTime())[0];
}

export const paidSlots = (subs: readonly SubscriptionState[]): number => activeSubscription(subs)?.quantity ?? 0;
