/**
 * Billing (docs/api.md, "Billing"): thin forwards to the billing service, and the Stripe webhook.
 *
 * The webhook's signature covers the exact bytes Stripe sent, so that route declares no body schema (the JSON
 * parsers never run for it) and reads the raw body itself, up to STRIPE_WEBHOOK_MAX_BYTES, after the per-IP
 * limit. The bytes go to billing unchanged (base64) with the Stripe-Signature header; billing verifies them.
 * No bearer token and no per-user limit (there is no user); the per-IP limit stays: Stripe retries a 429
 * with backoff for days, so a burst is late, never lost.
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AppError,
  BillingStatus,
  BillingUrl,
  BillingUsage,
  CanCreateConnection,
  CheckoutBody,
  CreateCheckout,
  CreatePortal,
  GetBillingStatus,
  GetBillingUsage,
  ReceiveStripeWebhook,
  STRIPE_WEBHOOK_MAX_BYTES,
} from '@wahooks/contracts';
import { defineRoute } from '../http/define-route.js';

const tag = 'billing';
/** ms for calls that reach Stripe (customer, subscriptions, session: up to a few round trips). */
const STRIPE_CALL_TIMEOUT_MS = 30_000;

const rawBody = express.raw({ type: () => true, limit: STRIPE_WEBHOOK_MAX_BYTES });

function readRawBody(req: Request, res: Response): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    rawBody(req, res, (err?: unknown) => {
      if ((err as { type?: string } | undefined)?.type === 'entity.too.large')
        return reject(new AppError(413, `Request body is larger than the ${STRIPE_WEBHOOK_MAX_BYTES} byte limit`));
      if (err) return reject(err);
      resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    }),
  );
}

export const billingRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/billing/status',
    auth: true,
    tag,
    summary: 'Subscription and slots (paid, used, available); creates the Stripe customer if missing',
    description: 'On a server without Stripe (self-hosted) `enabled` is false and `subscription` null.',
    response: BillingStatus,
    errors: [404, 503],
    handler: ({ broker, user }) =>
      broker.request(GetBillingStatus, { userId: user.id }, { timeoutMs: STRIPE_CALL_TIMEOUT_MS }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/billing/checkout',
    auth: true,
    tag,
    summary:
      'A Stripe Checkout URL for `quantity` slots, or the portal to change the quantity of an active subscription',
    body: CheckoutBody,
    response: BillingUrl,
    errors: [400, 409, 503],
    handler: ({ broker, user, body }) =>
      broker.request(CreateCheckout, { userId: user.id, ...body }, { timeoutMs: STRIPE_CALL_TIMEOUT_MS }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/billing/portal',
    auth: true,
    tag,
    summary: 'A Stripe Billing Portal URL (invoices, payment method, cancel)',
    response: BillingUrl,
    errors: [409, 503],
    handler: ({ broker, user }) =>
      broker.request(CreatePortal, { userId: user.id }, { timeoutMs: STRIPE_CALL_TIMEOUT_MS }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/billing/can-create',
    auth: true,
    tag,
    summary: 'Whether POST /api/connections would pass the slot check now',
    response: CanCreateConnection.reply,
    handler: ({ broker, user }) => broker.request(CanCreateConnection, { userId: user.id }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/billing/usage',
    auth: true,
    tag,
    summary: 'Connection-hours and connections metered this month (UTC)',
    response: BillingUsage,
    handler: ({ broker, user }) => broker.request(GetBillingUsage, { userId: user.id }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/stripe/webhook',
    auth: false,
    tag,
    summary: 'Stripe webhook endpoint (signed by Stripe; verified against STRIPE_WEBHOOK_SECRET)',
    response: z.object({ received: z.literal(true) }),
    status: 200,
    errors: [400, 409, 413],
    handler: async ({ broker, req, res }) => {
      const raw = await readRawBody(req, res);
      const signature = req.get('stripe-signature');
      return broker.request(ReceiveStripeWebhook, {
        payload: raw.toString('base64'),
        ...(signature ? { signature } : {}),
      });
    },
  }),
];
