/**
 * POST /api/stripe/webhook, after the gateway: the raw body (base64, unchanged) and the Stripe-Signature header.
 * Verified with the SDK's constructEvent against STRIPE_WEBHOOK_SECRET. Each event id is processed once: the id
 * is written in the transaction that applies the event, so a duplicate delivery (Stripe retries, a replay, a
 * restart in between) changes nothing, and a failure before the commit leaves the event for Stripe's retry.
 *
 * customer.subscription.created/updated/deleted → the subscription projection and the user's paid slots, and
 * billing.slots.changed (the connection service stops connections beyond the slots). invoice.paid and
 * invoice.payment_failed are recorded. Anything else is marked processed and ignored.
 */
import type { CommandHandler } from '@wahooks/broker';
import { badRequest, type ReceiveStripeWebhook } from '@wahooks/contracts';
import type { HandlerDeps, StripeDeps } from '../handlers/deps.js';
import { requireStripe } from '../handlers/billing-off.js';
import { subscriptionState } from '../domain/subscription-state.js';
import type { Stripe } from '../stripe/stripe-client.js';

const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
]);
const INVOICE_EVENTS = new Set(['invoice.paid', 'invoice.payment_failed']);

const customerIdOf = (customer: string | { id: string } | null | undefined) =>
  typeof customer === 'string' ? customer : (customer?.id ?? null);

function verify(stripe: StripeDeps, payload: Buffer, signature: string | undefined): Stripe.Event {
  if (!signature) throw badRequest('Missing stripe-signature header');
  try {
    return stripe.client.webhooks.constructEvent(payload, signature, stripe.settings.webhookSecret);
  } catch (err) {
    throw badRequest(`Webhook Error: ${(err as Error).message}`);
  }
}

export const handleReceiveWebhook =
  (deps: HandlerDeps): CommandHandler<typeof ReceiveStripeWebhook> =>
  async ({ payload, signature }) => {
    const stripe = requireStripe(deps);
    const event = verify(stripe, Buffer.from(payload, 'base64'), signature);
    const received = { received: true as const };
    if (await deps.events.seen(event.id)) {
      deps.logger.info({ eventId: event.id, type: event.type }, 'Stripe event already processed');
      return received;
    }
    const created = new Date(event.created * 1000);

    if (SUBSCRIPTION_EVENTS.has(event.type)) {
      const sub = event.data.object as Stripe.Subscription;
      const state = subscriptionState(sub);
      // Deleted: the subscription is over whatever status the object still shows.
      if (event.type === 'customer.subscription.deleted') state.status = 'canceled';
      // Before the transaction: this may ask Stripe (a customer this replica has not stored yet).
      const userId = await stripe.customers.userOf(state.customerId);
      const applied = await deps.sql.transaction(async (tx) => {
        if (!(await deps.events.claim(tx, event.id, event.type, created))) return false;
        if (!userId) return true; // not a customer of this server: remembered, ignored
        await deps.projection.apply(tx, { userId, subscriptions: [state], syncedAt: created, publish: 'always' });
        return true;
      });
      if (applied) deps.relay.kick();
      if (!userId)
        deps.logger.warn({ eventId: event.id, customerId: state.customerId }, 'Stripe event for an unknown customer');
      else
        deps.logger.info(
          { eventId: event.id, type: event.type, userId, status: state.status, quantity: state.quantity },
          'subscription event applied',
        );
      return received;
    }

    if (INVOICE_EVENTS.has(event.type)) {
      const invoice = event.data.object as Stripe.Invoice;
      const customerId = customerIdOf(invoice.customer);
      const userId = customerId ? ((await deps.customers.byCustomerId(customerId))?.userId ?? null) : null;
      await deps.sql.transaction(async (tx) => {
        if (!(await deps.events.claim(tx, event.id, event.type, created))) return;
        await deps.events.recordInvoice(tx, {
          eventId: event.id,
          type: event.type,
          invoiceId: invoice.id ?? '',
          customerId,
          userId,
          status: invoice.status ?? null,
          amountDue: invoice.amount_due ?? null,
          amountPaid: invoice.amount_paid ?? null,
          currency: invoice.currency ?? null,
        });
      });
      const log = event.type === 'invoice.payment_failed' ? deps.logger.warn : deps.logger.info;
      log.call(
        deps.logger,
        { eventId: event.id, type: event.type, userId, invoiceId: invoice.id },
        'invoice event recorded',
      );
      return received;
    }

    await deps.sql.transaction((tx) => deps.events.claim(tx, event.id, event.type, created));
    return received;
  };
