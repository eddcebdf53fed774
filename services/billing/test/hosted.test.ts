/**
 * Billing on (Stripe through the stand-in), end to end through the gateway: status, checkout and portal, the
 * Stripe webhook (raw body, signatures, once per event id, across a restart), the create gate and its
 * messages, enforcement (connections beyond the slots stopped for real), billing down → 503, usage.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  AppError,
  freeSlotsFullMessage,
  GetBillingStatus,
  SETUP_BILLING_MESSAGE,
  slotsFullMessage,
} from '@wahooks/contracts';
import {
  FRONTEND_URL,
  hostedEnv,
  INR_PRICE,
  startStack,
  USD_PRICE,
  waitFor,
  WEBHOOK_SECRET,
  type Stack,
  type User,
} from './support/stack.js';

let s: Stack;

beforeAll(async () => {
  s = await startStack('billing_hosted', hostedEnv);
}, 240_000);
afterAll(async () => {
  await s?.close();
}, 60_000);

/** POST a Stripe event to the gateway exactly as Stripe would. */
const deliver = (d: { body: string; signature?: string }) =>
  s.http('POST', '/api/stripe/webhook', null, d.body, {
    'content-type': 'application/json; charset=utf-8',
    ...(d.signature ? { 'stripe-signature': d.signature } : {}),
  });

/** The user's Stripe customer (created by GET /api/billing/status, as the dashboard does first). */
async function customerOf(user: User): Promise<string> {
  expect((await s.http('GET', '/api/billing/status', user)).status).toBe(200);
  return s.stripe.customerOf(user.id)!.id;
}

/** A subscriber: a subscription at Stripe and its customer.subscription.created webhook delivered. */
async function subscribe(user: User, quantity: number) {
  const sub = s.stripe.addSubscription(await customerOf(user), { quantity });
  const r = await deliver(s.stripe.signedEvent('customer.subscription.created', sub, WEBHOOK_SECRET));
  expect(r).toMatchObject({ status: 200, body: { received: true } });
  return sub;
}

const slotsOf = async (userId: string) =>
  (await s.db.query('SELECT slots FROM billing.customers WHERE user_id = $1', [userId])).rows[0]?.slots;

const slotEvents = async (userId: string) =>
  (await s.db.query(`SELECT body FROM billing.outbox WHERE event_type = 'billing.slots.changed'`)).rows
    .map((r) => JSON.parse(r.body))
    .filter((b) => b.userId === userId);

describe('status', () => {
  it('creates the customer lazily with the email and metadata, and reads slots from the active subscription', async () => {
    const user = await s.user();
    const first = await s.http('GET', '/api/billing/status', user);
    expect(first).toMatchObject({ status: 200 });
    expect(first.body).toEqual({
      enabled: true,
      subscription: {
        active: false,
        status: null,
        cancelAtPeriodEnd: false,
        currentPeriodEnd: null,
        monthlyAmount: 0,
        currency: 'usd',
      },
      slots: { paid: 0, used: 0, available: 0 },
    });
    const customer = s.stripe.customerOf(user.id)!;
    expect(customer).toMatchObject({ email: `${user.id}@example.com`, metadata: { wahooks_user_id: user.id } });
    const [create] = s.stripe
      .requestsTo('POST', '/v1/customers')
      .filter((r) => r.params.metadata?.wahooks_user_id === user.id);
    expect(create!.headers['idempotency-key']).toBe(`wahooks-customer-${user.id}`);
    expect(create!.headers['stripe-version']).toBe('2025-04-30.basil');

    // A second call reuses the stored customer: no new customer at Stripe.
    await s.http('GET', '/api/billing/status', user);
    expect([...s.stripe.customers.values()].filter((c) => c.metadata.wahooks_user_id === user.id)).toHaveLength(1);

    const sub = s.stripe.addSubscription(customer.id, { quantity: 3, cancelAtPeriodEnd: true });
    // No webhook was sent: status reads live, and refreshes the projection the gate reads.
    expect((await s.http('GET', '/api/billing/status', user)).body.slots).toEqual({ paid: 3, used: 0, available: 3 });
    expect(await slotsOf(user.id)).toBe(3);
    await s.connection(user);
    const live = await s.http('GET', '/api/billing/status', user);
    expect(live.body).toEqual({
      enabled: true,
      subscription: {
        active: true,
        status: 'active',
        cancelAtPeriodEnd: true,
        currentPeriodEnd: new Date(sub.items.data[0]!.current_period_end * 1000).toISOString(),
        monthlyAmount: 2.97,
        currency: 'usd',
      },
      slots: { paid: 3, used: 1, available: 2 },
    });
  });

  it('a canceled subscription pays for nothing: status and gate agree (the newest, canceled, is shown)', async () => {
    const user = await s.user();
    const sub = s.stripe.addSubscription(await customerOf(user), { quantity: 4, status: 'canceled' });
    const r = await s.http('GET', '/api/billing/status', user);
    expect(r.body.subscription).toMatchObject({ active: false, status: 'canceled', monthlyAmount: 0 });
    expect(r.body.slots).toEqual({ paid: 0, used: 0, available: 0 });
    expect(sub.status).toBe('canceled');
    expect((await s.http('POST', '/api/connections', user, {})).body.message).toBe(slotsFullMessage(0));
  });

  it('404 User not found without a users row; 503 while Stripe fails', async () => {
    // Every token belongs to a users row, so ask the billing command directly for a user without one.
    const err = await s.broker.request(GetBillingStatus, { userId: randomUUID() }).then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    expect(err?.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'User not found' });

    const user = await s.user();
    s.stripe.failWith = 500;
    try {
      const r = await s.http('GET', '/api/billing/status', user);
      expect(r.status).toBe(503);
      expect(r.body.message).toBe('Stripe is unavailable, retry shortly');
    } finally {
      s.stripe.failWith = undefined;
    }
  });
});

describe('checkout and portal', () => {
  it('a new customer gets a Checkout Session for the requested quantity at the requested currency', async () => {
    const user = await s.user();
    const r = await s.http('POST', '/api/billing/checkout', user, { quantity: 3, currency: 'inr' });
    expect(r.status).toBe(201);
    expect(r.body.url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const customer = s.stripe.customerOf(user.id)!;
    const session = s.stripe
      .requestsTo('POST', '/v1/checkout/sessions')
      .find((q) => q.params.customer === customer.id)!;
    expect(session.params).toMatchObject({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: INR_PRICE, quantity: '3' }],
      success_url: `${FRONTEND_URL}/billing?success=true`,
      cancel_url: `${FRONTEND_URL}/billing?canceled=true`,
    });

    const usd = await s.http('POST', '/api/billing/checkout', user); // no body: 1 slot, usd
    expect(usd.status).toBe(201);
    const sessions = s.stripe
      .requestsTo('POST', '/v1/checkout/sessions')
      .filter((q) => q.params.customer === customer.id);
    expect(sessions[1]!.params.line_items).toEqual([{ price: USD_PRICE, quantity: '1' }]);
  });

  it('a subscriber gets the Billing Portal on the subscription-update flow, and the plain portal', async () => {
    const user = await s.user();
    const sub = s.stripe.addSubscription(await customerOf(user), { quantity: 2 });
    const r = await s.http('POST', '/api/billing/checkout', user, { quantity: 5 });
    expect(r.status).toBe(201);
    expect(r.body.url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    const portals = s.stripe
      .requestsTo('POST', '/v1/billing_portal/sessions')
      .filter((q) => q.params.customer === sub.customer);
    expect(portals[0]!.params).toEqual({
      customer: sub.customer,
      return_url: `${FRONTEND_URL}/billing?success=true`,
      flow_data: { type: 'subscription_update', subscription_update: { subscription: sub.id } },
    });
    expect(s.stripe.requestsTo('POST', '/v1/checkout/sessions').some((q) => q.params.customer === sub.customer)).toBe(
      false,
    );

    const portal = await s.http('POST', '/api/billing/portal', user);
    expect(portal.status).toBe(201);
    expect(s.stripe.requestsTo('POST', '/v1/billing_portal/sessions').at(-1)!.params).toEqual({
      customer: sub.customer,
      return_url: `${FRONTEND_URL}/billing`,
    });
  });

  it.each([
    [{ quantity: 0 }, 'quantity must be at least 1'],
    [{ quantity: 1.5 }, 'quantity must be an integer'],
    [{ quantity: '2' }, 'quantity must be a number'],
    [{ currency: 'eur' }, 'currency must be "usd" or "inr"'],
  ])('400 for %p', async (body, message) => {
    const r = await s.http('POST', '/api/billing/checkout', await s.user(), body);
    expect(r.status).toBe(400);
    expect([r.body.message].flat().join('; ')).toContain(message);
  });
});

describe('Stripe webhook', () => {
  it('400 Missing stripe-signature header, and no bearer token needed', async () => {
    const r = await deliver({ body: '{"id":"evt_x","object":"event"}' });
    expect(r).toMatchObject({ status: 400, body: { statusCode: 400, message: 'Missing stripe-signature header' } });
  });

  it('400 Webhook Error for a wrong secret, a changed body and an old timestamp', async () => {
    const good = s.stripe.signedEvent('customer.subscription.updated', { id: 'sub_x' }, WEBHOOK_SECRET);
    const wrong = s.stripe.signedEvent('customer.subscription.updated', { id: 'sub_x' }, 'whsec_someone_else');
    const old = s.stripe.signedEvent('invoice.paid', { id: 'in_x' }, WEBHOOK_SECRET, {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    for (const bad of [wrong, { body: good.body.replace('sub_x', 'sub_y'), signature: good.signature }, old]) {
      const r = await deliver(bad);
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/^Webhook Error: /);
    }
    const { rows } = await s.db.query('SELECT id FROM billing.stripe_events WHERE id = ANY($1)', [
      [good.id, wrong.id, old.id],
    ]);
    expect(rows).toEqual([]);
  });

  it('verifies the exact bytes Stripe sent (whitespace and non-ASCII kept) and records invoice events', async () => {
    const user = await s.user();
    const customer = await customerOf(user);
    const invoice = {
      id: 'in_1',
      object: 'invoice',
      customer,
      status: 'open',
      amount_due: 297,
      amount_paid: 0,
      currency: 'usd',
      description: 'Café ✓',
    };
    const event = s.stripe.event('invoice.payment_failed', invoice);
    const body = JSON.stringify(event, null, 2); // indented, non-ASCII: any re-serialisation changes the bytes
    const signature = s.stripe.sign(body, WEBHOOK_SECRET);
    expect((await deliver({ body: JSON.stringify(event), signature })).status).toBe(400); // the same JSON, other bytes
    expect(await deliver({ body, signature })).toMatchObject({ status: 200, body: { received: true } });
    const { rows } = await s.db.query('SELECT * FROM billing.invoice_events WHERE event_id = $1', [event.id]);
    expect(rows).toEqual([
      expect.objectContaining({
        type: 'invoice.payment_failed',
        invoice_id: 'in_1',
        stripe_customer_id: customer,
        user_id: user.id,
        amount_due: 297,
      }),
    ]);
  });

  it('processes an event id once, also after a restart of the billing service', async () => {
    const user = await s.user();
    const sub = await subscribe(user, 5);
    const created = Math.floor(Date.now() / 1000) + 5; // both events in the same second: only the id tells them apart
    const five = s.stripe.signedEvent(
      'customer.subscription.updated',
      s.stripe.updateSubscription(sub.id, { quantity: 5 }),
      WEBHOOK_SECRET,
      { created },
    );
    const one = s.stripe.signedEvent(
      'customer.subscription.updated',
      s.stripe.updateSubscription(sub.id, { quantity: 1 }),
      WEBHOOK_SECRET,
      { created },
    );
    expect((await deliver(five)).status).toBe(200);
    expect((await deliver(one)).status).toBe(200);
    expect(await slotsOf(user.id)).toBe(1);
    const events = (await slotEvents(user.id)).length;

    expect((await deliver(five)).status).toBe(200); // Stripe redelivers the first one
    expect(await slotsOf(user.id)).toBe(1);
    await s.startBilling(); // a new process: nothing in memory
    expect((await deliver(five)).status).toBe(200);
    expect(await slotsOf(user.id)).toBe(1);
    expect((await slotEvents(user.id)).length).toBe(events);
    const { rows } = await s.db.query('SELECT count(*)::int AS n FROM billing.stripe_events WHERE id = $1', [five.id]);
    expect(rows[0].n).toBe(1);
  });

  it('an event older than what billing already knows does not undo it', async () => {
    const user = await s.user();
    const sub = await subscribe(user, 2);
    const stale = s.stripe.signedEvent(
      'customer.subscription.updated',
      s.stripe.updateSubscription(sub.id, { quantity: 9 }),
      WEBHOOK_SECRET,
      {
        created: Math.floor(Date.now() / 1000) - 600,
      },
    );
    expect((await deliver(stale)).status).toBe(200);
    expect(await slotsOf(user.id)).toBe(2);
  });
});

describe('the create gate', () => {
  it('403 Set up billing before any customer; 403 All n slots in use at the limit; can-create says the same', async () => {
    const user = await s.user();
    const refused = await s.http('POST', '/api/connections', user, {});
    expect(refused).toMatchObject({
      status: 403,
      body: { statusCode: 403, error: 'Forbidden', message: SETUP_BILLING_MESSAGE },
    });
    expect((await s.http('GET', '/api/billing/can-create', user)).body).toEqual({
      allowed: false,
      reason: 'No billing set up',
    });

    await subscribe(user, 2);
    expect((await s.http('GET', '/api/billing/can-create', user)).body).toEqual({
      allowed: true,
      paidSlots: 2,
      usedSlots: 0,
      availableSlots: 2,
    });
    await s.connection(user);
    await s.connection(user);
    const full = await s.http('POST', '/api/connections', user, {});
    expect(full).toMatchObject({ status: 403, body: { message: slotsFullMessage(2) } });
    expect(full.body.message).toBe('All 2 connection slots in use. Buy more slots at /billing.');
    expect((await s.http('GET', '/api/billing/can-create', user)).body).toEqual({
      allowed: false,
      reason: 'All 2 slots in use',
      paidSlots: 2,
      usedSlots: 2,
    });
    expect(await s.activeConnections(user.id)).toHaveLength(2);

    // get-or-create reuses the newest idle connection without asking the gate (as the original)
    const reused = await s.http('POST', '/api/connections/get-or-create', user);
    expect(reused.status).toBe(201);
    expect((await s.activeConnections(user.id))[0]).toBe(reused.body.id);
    expect(await s.activeConnections(user.id)).toHaveLength(2);

    // concurrent creates never take more than the free slots
    await subscribe(user, 3);
    const racing = await Promise.all([1, 2, 3].map(() => s.http('POST', '/api/connections', user, {})));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 403, 403]);
    expect(await s.activeConnections(user.id)).toHaveLength(3);
  });

  it('admins bypass the gate', async () => {
    const admin = await s.user({ admin: true });
    await s.connection(admin);
    await s.connection(admin);
    expect(await s.activeConnections(admin.id)).toHaveLength(2);
    expect((await s.http('GET', '/api/billing/can-create', admin)).body).toMatchObject({
      allowed: true,
      availableSlots: null,
    });
  });

  it('billing unreachable → 503 and nothing created', async () => {
    const user = await s.user();
    await subscribe(user, 5);
    await s.stopBilling();
    try {
      const r = await s.http('POST', '/api/connections', user, {});
      expect(r).toMatchObject({ status: 503, body: { message: 'Billing service unavailable, retry shortly' } });
      expect(r.headers.get('retry-after')).toBe('5');
      expect(await s.activeConnections(user.id)).toEqual([]);
    } finally {
      await s.startBilling();
    }
    expect((await s.http('POST', '/api/connections', user, {})).status).toBe(201);
  });

  it('is not the self-hosted message when billing is on', () => {
    expect(slotsFullMessage(2)).not.toBe(freeSlotsFullMessage(2));
  });
});

describe('enforcement', () => {
  it('quantity 3 → 2 stops the newest connection for real (logged out, socket closed); deleted stops all', async () => {
    const user = await s.user();
    const sub = await subscribe(user, 3);
    const oldest = await s.connection(user);
    const middle = await s.connection(user);
    const newest = await s.connection(user, { link: true });
    expect(await s.activeConnections(user.id)).toEqual([newest.id, middle.id, oldest.id]);

    const update = s.stripe.signedEvent(
      'customer.subscription.updated',
      s.stripe.updateSubscription(sub.id, { quantity: 2 }),
      WEBHOOK_SECRET,
    );
    expect((await deliver(update)).status).toBe(200);
    await waitFor(async () => (await s.activeConnections(user.id)).length === 2, 'the newest connection stopped');
    expect(await s.activeConnections(user.id)).toEqual([middle.id, oldest.id]);
    const stopped = await s.http('GET', `/api/connections/${newest.id}`, user);
    expect(stopped.body).toMatchObject({ status: 'stopped', workerId: null });
    // As DELETE does: the number was logged out and its socket closed at WhatsApp (the emulator).
    await waitFor(
      () => s.emulator.accounts().find((a) => a.phone === newest.phone)?.loggedOut,
      'logged out at the emulator',
    );
    expect(s.emulator.socketsOpen(newest.phone!)).toBe(0);

    const deleted = s.stripe.signedEvent(
      'customer.subscription.deleted',
      s.stripe.updateSubscription(sub.id, { status: 'canceled' }),
      WEBHOOK_SECRET,
    );
    expect((await deliver(deleted)).status).toBe(200);
    await waitFor(async () => (await s.activeConnections(user.id)).length === 0, 'every connection stopped');
    expect(await slotsOf(user.id)).toBe(0);
    expect((await s.http('POST', '/api/connections', user, {})).body.message).toBe(slotsFullMessage(0));
  }, 120_000);

  it('past_due keeps the slots (Stripe is still retrying the payment)', async () => {
    const user = await s.user();
    const sub = await subscribe(user, 1);
    await s.connection(user);
    const pastDue = s.stripe.signedEvent(
      'customer.subscription.updated',
      s.stripe.updateSubscription(sub.id, { status: 'past_due' }),
      WEBHOOK_SECRET,
    );
    expect((await deliver(pastDue)).status).toBe(200);
    expect(await slotsOf(user.id)).toBe(1);
    expect(await s.activeConnections(user.id)).toHaveLength(1);
  });
});

describe('usage', () => {
  it('meters linked connections per period, month to date', async () => {
    const user = await s.user();
    await subscribe(user, 2);
    await s.connection(user, { link: true });
    await s.connection(user); // not linked: not metered
    expect(await s.billing!.usage.sample()).toBeGreaterThanOrEqual(1);
    await s.billing!.usage.sample(); // the same period again: nothing more
    const r = await s.http('GET', '/api/billing/usage', user);
    expect(r).toMatchObject({ status: 200, body: { totalHours: 1, activeConnections: 1 } });
  }, 90_000);
});
