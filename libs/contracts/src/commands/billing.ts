/**
 * Commands answered by the billing service (docs/api.md, "Billing"), and the one slot rule that the connection
 * service's create gate and billing's own can-create/status apply.
 *
 * A user may hold as many non-stopped connections as their slots allow: the quantity of their *active* Stripe
 * subscription (hosted), or the server's free slots (self-hosted: no Stripe key; unlimited unless
 * BILLING_FREE_SLOTS is set). Admins are never limited by slots.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';

const UserId = z.uuid();

/* ---------------------------------------------------------------- the slot rule ---------------------------------------------------------------- */

/** What a user's slots are, as billing knows them (`billing.slots.get`). */
export const SlotAllowance = z.object({
  /** false: self-hosted mode, no Stripe (slots = the server's free slots). */
  enabled: z.boolean(),
  isAdmin: z.boolean(),
  /** Hosted: the user has a Stripe customer (false → "Set up billing"). Always false when billing is off. */
  hasCustomer: z.boolean(),
  /** Hosted: the active subscription's quantity (0 without one). Self-hosted: free slots, null = unlimited. */
  slots: z.number().int().nonnegative().nullable(),
});
export type SlotAllowance = z.infer<typeof SlotAllowance>;

export const SETUP_BILLING_MESSAGE = 'Set up billing before creating connections. Visit /billing to get started.';
export const slotsFullMessage = (n: number) => `All ${n} connection slots in use. Buy more slots at /billing.`;
/** Self-hosted (billing off) with BILLING_FREE_SLOTS: there is nothing to buy. */
export const freeSlotsFullMessage = (n: number) => `All ${n} connection slots in use (this server's limit per user).`;
/** Billing off: the connection service's own bound (MAX_CONNECTIONS_PER_USER; each connection is a live socket). */
export const serverCapMessage = (n: number) =>
  `Connection limit reached: at most ${n} connections per user; delete one first`;

export type SlotDecision =
  | { allowed: true; limit: number | null } // null: no slot limit
  | { allowed: false; reason: 'no-billing'; message: string }
  | { allowed: false; reason: 'full'; limit: number; message: string };

/**
 * How many non-stopped connections a user may hold: null = no slot limit (admins; billing off without free
 * slots); 0 for a hosted user without a Stripe customer.
 */
export function slotLimit(allowance: SlotAllowance): number | null {
  if (allowance.isAdmin) return null;
  if (allowance.enabled && !allowance.hasCustomer) return 0;
  return allowance.slots;
}

/**
 * May a user with `used` non-stopped connections create one more? The one rule of the create gate
 * (connection service) and of `GET /api/billing/can-create` and status (billing service).
 *
 * `serverCap` is the connection service's MAX_CONNECTIONS_PER_USER. It bounds every user (admins too) when
 * billing is off, composed with the free slots as the smaller of the two; with billing on the paid slots rule.
 */
export function slotDecision(allowance: SlotAllowance, used: number, serverCap: number | null = null): SlotDecision {
  if (allowance.enabled && !allowance.isAdmin && !allowance.hasCustomer)
    return { allowed: false, reason: 'no-billing', message: SETUP_BILLING_MESSAGE };
  const slots = slotLimit(allowance);
  if (!allowance.enabled && serverCap !== null && (slots === null || serverCap < slots)) {
    if (used < serverCap) return { allowed: true, limit: serverCap };
    return { allowed: false, reason: 'full', limit: serverCap, message: serverCapMessage(serverCap) };
  }
  if (slots === null || used < slots) return { allowed: true, limit: slots };
  const message = allowance.enabled ? slotsFullMessage(slots) : freeSlotsFullMessage(slots);
  return { allowed: false, reason: 'full', limit: slots, message };
}

export const GetSlotAllowance = defineCommand({
  name: 'billing.slots.get',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: SlotAllowance,
  summary:
    "A user's slots (active subscription quantity, or free slots when billing is off) and admin flag; read from billing's projection, no Stripe call",
});

/* ---------------------------------------------------------------- HTTP API ---------------------------------------------------------------- */

export const BillingCurrency = z.enum(['usd', 'inr'], { error: 'currency must be "usd" or "inr"' });

export const BillingStatus = z.object({
  /** false on a self-hosted server (no Stripe key): no subscription, slots are the server's free slots. */
  enabled: z.boolean(),
  subscription: z
    .object({
      active: z.boolean(),
      status: z.string().nullable(), // Stripe's subscription status, e.g. "active", "past_due", "canceled"
      cancelAtPeriodEnd: z.boolean(),
      currentPeriodEnd: z.string().nullable(), // ISO-8601
      monthlyAmount: z.number(), // unit_amount × quantity / 100, in `currency`
      currency: BillingCurrency,
    })
    .nullable(), // null when billing is off
  slots: z.object({
    paid: z.number().int().nonnegative(),
    used: z.number().int().nonnegative(),
    /** max(0, limit − used); null when there is no limit (admins, or billing off without free slots). */
    available: z.number().int().nonnegative().nullable(),
    /** Billing off only: BILLING_FREE_SLOTS, null when unset (unlimited). */
    free: z.number().int().nonnegative().nullable().optional(),
  }),
});

export const GetBillingStatus = defineCommand({
  name: 'billing.status.get',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: BillingStatus,
  summary:
    'GET /api/billing/status: creates the Stripe customer if missing, reads the subscription live; 404 User not found',
});

const MAX_QUANTITY = 1000;

/** POST /api/billing/checkout. */
export const CheckoutBody = z.object({
  quantity: z
    .number({ error: 'quantity must be a number' })
    .int({ error: 'quantity must be an integer' })
    .min(1, { error: 'quantity must be at least 1' })
    .max(MAX_QUANTITY, { error: `quantity must be at most ${MAX_QUANTITY}` })
    .default(1)
    .meta({ description: 'Connection slots to buy (default 1)' }),
  currency: BillingCurrency.default('usd').meta({ description: 'Price currency (default usd)' }),
});

export const BillingUrl = z.object({ url: z.string() });

export const CreateCheckout = defineCommand({
  name: 'billing.checkout.create',
  version: 1,
  request: z.object({ userId: UserId, quantity: z.number().int().min(1).max(MAX_QUANTITY), currency: BillingCurrency }),
  reply: BillingUrl,
  summary:
    'Checkout Session (no active subscription) or a Billing Portal subscription-update session; 409 when billing is off',
});

export const CreatePortal = defineCommand({
  name: 'billing.portal.create',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: BillingUrl,
  summary: 'A Billing Portal session returning to {FRONTEND_URL}/billing; 409 when billing is off',
});

export const CanCreateReply = z.union([
  z.object({
    allowed: z.literal(true),
    paidSlots: z.number().int(),
    usedSlots: z.number().int(),
    availableSlots: z.number().int().nullable(),
  }),
  z.object({ allowed: z.literal(false), reason: z.literal('No billing set up') }),
  z.object({ allowed: z.literal(false), reason: z.string(), paidSlots: z.number().int(), usedSlots: z.number().int() }),
]);

export const CanCreateConnection = defineCommand({
  name: 'billing.slots.can-create',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: CanCreateReply,
  summary: 'GET /api/billing/can-create: the create gate as a question (same rule, same data)',
});

export const BillingUsage = z.object({
  totalHours: z.number(), // connection-hours metered this calendar month (UTC)
  activeConnections: z.number().int(), // connections that were linked (working) at some sample this month
});

export const GetBillingUsage = defineCommand({
  name: 'billing.usage.get',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: BillingUsage,
  summary: 'GET /api/billing/usage: {totalHours, activeConnections}, month to date (UTC)',
});

/** The largest Stripe webhook body the gateway forwards (Stripe's events are far below it). */
export const STRIPE_WEBHOOK_MAX_BYTES = 1024 * 1024;

export const ReceiveStripeWebhook = defineCommand({
  name: 'billing.webhook.receive',
  version: 1,
  request: z.object({
    payload: z.base64().max(Math.ceil(STRIPE_WEBHOOK_MAX_BYTES / 3) * 4), // the raw request body, unchanged, base64
    signature: z.string().optional(), // the Stripe-Signature header
  }),
  reply: z.object({ received: z.literal(true) }),
  summary:
    'POST /api/stripe/webhook: verified with the stripe SDK; each event id processed once. 400 Missing stripe-signature header / Webhook Error: …',
});
