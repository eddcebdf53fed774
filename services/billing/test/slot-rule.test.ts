/** The one slot rule (contracts slotDecision) and the active-subscription rule, without servers. */
import { describe, expect, it } from '@jest/globals';
import {
  CheckoutBody,
  freeSlotsFullMessage,
  serverCapMessage,
  SETUP_BILLING_MESSAGE,
  slotDecision,
  slotLimit,
  slotsFullMessage,
  type SlotAllowance,
} from '@wahooks/contracts';
import type Stripe from 'stripe';
import {
  activeSubscription,
  paidSlots,
  subscriptionState,
  type SubscriptionState,
} from '../src/domain/subscription-state.js';

const hosted = (slots: number, more: Partial<SlotAllowance> = {}): SlotAllowance => ({
  enabled: true,
  isAdmin: false,
  hasCustomer: true,
  slots,
  ...more,
});

describe('slotDecision', () => {
  it('hosted: no customer → set up billing; below the quantity → allowed; at it → all n in use', () => {
    expect(slotDecision(hosted(0, { hasCustomer: false }), 0)).toEqual({
      allowed: false,
      reason: 'no-billing',
      message: SETUP_BILLING_MESSAGE,
    });
    expect(slotDecision(hosted(2), 1)).toEqual({ allowed: true, limit: 2 });
    expect(slotDecision(hosted(2), 2)).toEqual({
      allowed: false,
      reason: 'full',
      limit: 2,
      message: slotsFullMessage(2),
    });
    expect(slotDecision(hosted(2), 5)).toMatchObject({ allowed: false, reason: 'full' }); // after a downgrade
    expect(slotDecision(hosted(0), 0)).toMatchObject({
      allowed: false,
      message: 'All 0 connection slots in use. Buy more slots at /billing.',
    });
  });

  it('admins are never limited, with or without a customer', () => {
    expect(slotDecision(hosted(0, { isAdmin: true, hasCustomer: false }), 10)).toEqual({ allowed: true, limit: null });
    expect(slotLimit(hosted(1, { isAdmin: true }))).toBeNull();
  });

  it('billing off: unlimited, or the free slots with a message that sells nothing', () => {
    const off = (slots: number | null): SlotAllowance => ({
      enabled: false,
      isAdmin: false,
      hasCustomer: false,
      slots,
    });
    expect(slotDecision(off(null), 1000)).toEqual({ allowed: true, limit: null });
    expect(slotDecision(off(3), 2)).toEqual({ allowed: true, limit: 3 });
    expect(slotDecision(off(3), 3)).toEqual({
      allowed: false,
      reason: 'full',
      limit: 3,
      message: freeSlotsFullMessage(3),
    });
    expect(slotLimit(off(0))).toBe(0);
  });

  it("billing off: the connection service's bound composes with the free slots (the smaller wins, admins too)", () => {
    const off = (slots: number | null, isAdmin = false): SlotAllowance => ({
      enabled: false,
      isAdmin,
      hasCustomer: false,
      slots,
    });
    expect(slotDecision(off(null), 49, 50)).toEqual({ allowed: true, limit: 50 });
    expect(slotDecision(off(null), 50, 50)).toEqual({
      allowed: false,
      reason: 'full',
      limit: 50,
      message: serverCapMessage(50),
    });
    expect(slotDecision(off(2), 2, 50)).toMatchObject({ allowed: false, limit: 2, message: freeSlotsFullMessage(2) });
    expect(slotDecision(off(80), 50, 50)).toMatchObject({ allowed: false, limit: 50, message: serverCapMessage(50) });
    expect(slotDecision(off(2, true), 10, 50)).toEqual({ allowed: true, limit: 50 });
    // billing on: the paid slots decide, the bound does not apply
    expect(slotDecision(hosted(60), 55, 50)).toEqual({ allowed: true, limit: 60 });
  });
});

const state = (status: string, created: number, quantity: number): SubscriptionState => ({
  id: `sub_${created}`,
  customerId: 'cus_1',
  status,
  quantity,
  priceId: 'price_1',
  unitAmount: 99,
  currency: 'usd',
  cancelAtPeriodEnd: false,
  currentPeriodEnd: null,
  created: new Date(created * 1000),
});

describe('the active subscription', () => {
  it('is the newest one whose status pays: active, trialing, past_due', () => {
    const subs = [state('canceled', 300, 9), state('active', 200, 2), state('past_due', 100, 5)];
    expect(activeSubscription(subs)?.id).toBe('sub_200');
    expect(paidSlots(subs)).toBe(2);
    expect(paidSlots([state('trialing', 1, 4)])).toBe(4);
    expect(paidSlots([state('past_due', 1, 4)])).toBe(4);
  });

  it.each(['canceled', 'unpaid', 'incomplete', 'incomplete_expired', 'paused'])('%s pays for nothing', (status) => {
    expect(paidSlots([state(status, 1, 4)])).toBe(0);
  });

  it('reads the quantity, price and period from the item (API 2025-04-30.basil)', () => {
    const sub = {
      id: 'sub_1',
      customer: { id: 'cus_9' },
      status: 'active',
      cancel_at_period_end: true,
      created: 1_700_000_000,
      currency: 'inr',
      items: {
        data: [
          {
            quantity: 3,
            current_period_end: 1_702_592_000,
            price: { id: 'price_inr', unit_amount: 8900, currency: 'inr' },
          },
        ],
      },
    } as unknown as Stripe.Subscription;
    expect(subscriptionState(sub)).toEqual({
      id: 'sub_1',
      customerId: 'cus_9',
      status: 'active',
      quantity: 3,
      priceId: 'price_inr',
      unitAmount: 8900,
      currency: 'inr',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: new Date(1_702_592_000 * 1000),
      created: new Date(1_700_000_000 * 1000),
    });
  });
});

describe('CheckoutBody', () => {
  it('defaults to one slot in usd', () => {
    expect(CheckoutBody.parse({})).toEqual({ quantity: 1, currency: 'usd' });
  });
  it.each([[{ quantity: 1001 }], [{ quantity: -1 }], [{ currency: 'USD' }]])('refuses %p', (body) => {
    expect(CheckoutBody.safeParse(body).success).toBe(false);
  });
});
