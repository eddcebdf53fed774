/**
 * Billing off (no STRIPE_SECRET_KEY: self-hosted, the default of `npm start`), end to end through the gateway:
 * status says so, checkout/portal/webhook answer 409, creates are free up to the connection service's
 * MAX_CONNECTIONS_PER_USER (or BILLING_FREE_SLOTS when smaller), and nothing ever reaches Stripe.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freeSlotsFullMessage, serverCapMessage } from '@wahooks/contracts';
import { startStack, type Stack } from './support/stack.js';

let s: Stack;

beforeAll(async () => {
  s = await startStack('billing_self', () => ({}), { MAX_CONNECTIONS_PER_USER: String(CAP) });
}, 240_000);
afterAll(async () => {
  // The stand-in runs, but billing must never have called it.
  expect(s?.stripe.requests ?? []).toEqual([]);
  await s?.close();
}, 60_000);

/** The connection service's own per-user bound, which applies whenever billing is off. */
const CAP = 3;
const OFF = { statusCode: 409, error: 'Conflict', message: 'Billing is not enabled on this server' };

describe('billing off', () => {
  it('status answers 200 with enabled false; checkout, portal and the Stripe webhook answer 409', async () => {
    expect(s.billing!.enabled).toBe(false);
    const user = await s.user();
    await s.connection(user);
    const status = await s.http('GET', '/api/billing/status', user);
    expect(status).toMatchObject({ status: 200 });
    expect(status.body).toEqual({
      enabled: false,
      subscription: null,
      slots: { paid: 0, used: 1, available: CAP - 1, free: null },
    });
    expect(await s.http('POST', '/api/billing/checkout', user, { quantity: 2 })).toMatchObject({
      status: 409,
      body: OFF,
    });
    expect(await s.http('POST', '/api/billing/portal', user)).toMatchObject({ status: 409, body: OFF });
    const webhook = await s.http('POST', '/api/stripe/webhook', null, '{"id":"evt_1"}', {
      'stripe-signature': 't=1,v1=00',
    });
    expect(webhook).toMatchObject({ status: 409, body: OFF });
  });

  it('every user may create connections, up to the server bound MAX_CONNECTIONS_PER_USER', async () => {
    const user = await s.user();
    for (let i = 0; i < CAP; i++) await s.connection(user);
    expect(await s.activeConnections(user.id)).toHaveLength(CAP);
    const refused = await s.http('POST', '/api/connections', user, {});
    expect(refused).toMatchObject({ status: 403, body: { message: serverCapMessage(CAP) } });
    expect((await s.http('GET', '/api/billing/can-create', user)).body).toEqual({
      allowed: false,
      reason: `All ${CAP} slots in use`,
      paidSlots: 0,
      usedSlots: CAP,
    });
    expect((await s.http('GET', '/api/billing/status', user)).body.slots).toEqual({
      paid: 0,
      used: CAP,
      available: 0,
      free: null,
    });
  });

  it('BILLING_FREE_SLOTS caps each user (admins excepted), with a message that sells nothing', async () => {
    await s.startBilling({ BILLING_FREE_SLOTS: '2' });
    try {
      const user = await s.user();
      await s.connection(user);
      await s.connection(user);
      const refused = await s.http('POST', '/api/connections', user, {});
      expect(refused).toMatchObject({ status: 403, body: { message: freeSlotsFullMessage(2) } });
      expect(refused.body.message).toBe("All 2 connection slots in use (this server's limit per user).");
      expect((await s.http('GET', '/api/billing/status', user)).body.slots).toEqual({
        paid: 0,
        used: 2,
        available: 0,
        free: 2,
      });
      expect((await s.http('GET', '/api/billing/can-create', user)).body).toEqual({
        allowed: false,
        reason: 'All 2 slots in use',
        paidSlots: 0,
        usedSlots: 2,
      });

      // Admins skip the free slots, not the server's bound.
      const admin = await s.user({ admin: true });
      for (let i = 0; i < CAP; i++) await s.connection(admin);
      expect(await s.activeConnections(admin.id)).toHaveLength(CAP);
      expect((await s.http('POST', '/api/connections', admin, {})).body.message).toBe(serverCapMessage(CAP));
    } finally {
      await s.startBilling();
    }
  });

  it('billing down still refuses the create (503), never an ungated one', async () => {
    const user = await s.user();
    await s.stopBilling();
    try {
      const r = await s.http('POST', '/api/connections', user, {});
      expect(r).toMatchObject({ status: 503, body: { message: 'Billing service unavailable, retry shortly' } });
      expect(await s.activeConnections(user.id)).toEqual([]);
    } finally {
      await s.startBilling();
    }
  });

  it('GET /api/health shows the billing service and its database', async () => {
    const r = await s.http('GET', '/api/health', await s.user()); // with a token: a fresh check
    expect(r.body.checks.services.billing).toMatchObject({ status: 'ok', instance: expect.any(String) });
    expect(r.body.checks.database.status).toBe('ok');
  });
});
