/**
 * The billing service's environment. Without STRIPE_SECRET_KEY billing is off (self-hosted mode, the default
 * for `npm start`): nothing calls Stripe, every user may create connections (up to BILLING_FREE_SLOTS when set).
 */
import { envInt, metricsPortEnv, sharedEnv } from '@wahooks/config';
import { z } from 'zod';

const optionalText = z.string().trim().min(1).optional();

export const BillingConfigSchema = z
  .object({
    ...sharedEnv,
    /** Internal Prometheus port (/metrics; 9106, `off` = none). */
    ...metricsPortEnv('billing'),
    /** Stripe secret key (sk_live_… / sk_test_…). Unset: billing is off. */
    STRIPE_SECRET_KEY: optionalText,
    /** Signing secret of the Stripe webhook endpoint (whsec_…); required with STRIPE_SECRET_KEY. */
    STRIPE_WEBHOOK_SECRET: optionalText,
    /** Recurring price of one slot per month in USD ($0.99); required with STRIPE_SECRET_KEY. */
    STRIPE_USD_PRICE_ID: optionalText,
    /** The same in INR (₹89); without it, checkout refuses currency "inr". */
    STRIPE_INR_PRICE_ID: optionalText,
    /** Base URL of the Stripe API: a local stand-in answers there in tests and demos. */
    STRIPE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.stripe.com'),
    /** ms one Stripe API call may take (the SDK retries a failed call once more, with the same idempotency key). */
    STRIPE_TIMEOUT_MS: envInt(8000, 100),
    /** The dashboard: checkout returns to {FRONTEND_URL}/billing?success=true / ?canceled=true, the portal to /billing. */
    FRONTEND_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
    /** Billing off only: connection slots every user gets; unset = unlimited (the connection service's cap still applies). */
    BILLING_FREE_SLOTS: z.coerce.number().int().min(0).optional(),
    /** ms between usage samples: each connection linked at a sample is metered for this long (default an hour). */
    BILLING_USAGE_INTERVAL_MS: envInt(3_600_000, 1000),
    /** Commands handled concurrently by one instance (AMQP prefetch). */
    BILLING_PREFETCH: envInt(32, 1),
    /** Postgres connections in this instance's pool. */
    BILLING_DB_POOL_SIZE: envInt(10, 1),
  })
  .superRefine((c, ctx) => {
    // The SDK takes a host, port and protocol: a path would be dropped silently.
    if (!['', '/'].includes(new URL(c.STRIPE_API_URL).pathname))
      ctx.addIssue({ code: 'custom', path: ['STRIPE_API_URL'], message: 'must be a base URL without a path' });
    if (!c.STRIPE_SECRET_KEY) return;
    for (const name of ['STRIPE_WEBHOOK_SECRET', 'STRIPE_USD_PRICE_ID'] as const)
      if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when STRIPE_SECRET_KEY is set' });
  });

export type BillingConfig = z.output<typeof BillingConfigSchema>;

/** Stripe settings, present exactly when billing is on. */
export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  prices: { usd: string; inr?: string };
  apiUrl: string;
  timeoutMs: number;
  frontendUrl: string;
}

export function stripeSettings(c: BillingConfig): StripeSettings | undefined {
  if (!c.STRIPE_SECRET_KEY) return undefined;
  return {
    secretKey: c.STRIPE_SECRET_KEY,
    webhookSecret: c.STRIPE_WEBHOOK_SECRET!,
    prices: { usd: c.STRIPE_USD_PRICE_ID!, ...(c.STRIPE_INR_PRICE_ID ? { inr: c.STRIPE_INR_PRICE_ID } : {}) },
    apiUrl: c.STRIPE_API_URL,
    timeoutMs: c.STRIPE_TIMEOUT_MS,
    frontendUrl: c.FRONTEND_URL.replace(/\/+$/, ''),
  };
}
