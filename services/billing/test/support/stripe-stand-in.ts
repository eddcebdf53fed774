/**
 * A local stand-in for the Stripe API endpoints the billing service calls, answered over HTTP to the real
 * `stripe` SDK (STRIPE_API_URL points at it). It implements exactly: customers create / retrieve / search,
 * subscriptions list, checkout.sessions.create and billing_portal.sessions.create, with Stripe's object shapes
 * (API 2025-04-30.basil: the billing period lives on the subscription item), form-encoded requests,
 * idempotency keys, Bearer auth and the Stripe-Version header. Everything it was asked is in `requests`.
 *
 * Tests also use it as "Stripe's side": `addSubscription` / `updateSubscription` change its state, and
 * `signedEvent` builds a webhook body signed with the SDK's own test-header helper.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export const STAND_IN_SECRET_KEY = 'sk_test_standin';
export const STAND_IN_API_VERSION = '2025-04-30.basil';

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, any>;
  headers: http.IncomingHttpHeaders;
}

export interface SubscriptionInput {
  quantity: number;
  status?: Stripe.Subscription.Status;
  price?: string;
  unitAmount?: number; // minor units
  currency?: 'usd' | 'inr';
  cancelAtPeriodEnd?: boolean;
  created?: number; // unix seconds
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** `a[b][0][c]=v` pairs (qs, arrayFormat indices, as the SDK encodes) → nested objects and arrays. */
export function parseStripeForm(text: string): Record<string, any> {
  const root: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: any = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= /^\d+$/.test(path[i + 1]!) ? [] : {};
    });
  }
  return root;
}

class StripeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

export class StripeStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly customers = new Map<string, Stripe.Customer>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private server!: http.Server;
  url = '';
  /** Answer every request with this status (e.g. 500: "Stripe is down") until set back to undefined. */
  failWith: number | undefined;

  static async start(): Promise<StripeStandIn> {
    const standIn = new StripeStandIn();
    standIn.server = http.createServer((req, res) => void standIn.onRequest(req, res));
    await new Promise<void>((r) => standIn.server.listen(0, '127.0.0.1', r));
    standIn.url = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
    return standIn;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** Requests to one endpoint, e.g. `requestsTo('POST', '/v1/checkout/sessions')`. */
  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  customerOf(userId: string): Stripe.Customer | undefined {
    return [...this.customers.values()].find((c) => c.metadata.wahooks_user_id === userId);
  }

  /** A subscription at "Stripe" (as if the customer paid in Checkout). */
  addSubscription(customerId: string, input: SubscriptionInput): Stripe.Subscription {
    if (!this.customers.has(customerId)) throw new Error(`no customer ${customerId}`);
    const created = input.created ?? now();
    const currency = input.currency ?? 'usd';
    const sub = {
      id: id('sub'),
      object: 'subscription',
      customer: customerId,
      status: input.status ?? 'active',
      cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
      created,
      currency,
      livemode: false,
      metadata: {},
      items: {
        object: 'list',
        has_more: false,
        url: '/v1/subscription_items',
        data: [
          {
            id: id('si'),
            object: 'subscription_item',
            quantity: input.quantity,
            created,
            current_period_start: created,
            current_period_end: created + 30 * 24 * 3600,
            price: {
              id: input.price ?? (currency === 'inr' ? 'price_inr_test' : 'price_usd_test'),
              object: 'price',
              active: true,
              currency,
              unit_amount: input.unitAmount ?? (currency === 'inr' ? 8900 : 99),
              recurring: { interval: 'month', interval_count: 1 },
              type: 'recurring',
            },
          },
        ],
      },
    } as unknown as Stripe.Subscription;
    this.subscriptions.set(sub.id, sub);
    return sub;
  }

  /** Change a subscription at "Stripe" (quantity, status, cancel at period end). */
  updateSubscription(
    subId: string,
    patch: { quantity?: number; status?: Stripe.Subscription.Status; cancelAtPeriodEnd?: boolean },
  ): Stripe.Subscription {
    const sub = this.subscriptions.get(subId);
    if (!sub) throw new Error(`no subscription ${subId}`);
    const next = structuredClone(sub) as any;
    if (patch.quantity !== undefined) next.items.data[0].quantity = patch.quantity;
    if (patch.status !== undefined) next.status = patch.status;
    if (patch.cancelAtPeriodEnd !== undefined) next.cancel_at_period_end = patch.cancelAtPeriodEnd;
    this.subscriptions.set(subId, next);
    return next as Stripe.Subscription;
  }

  /** An event object as Stripe builds it (not yet serialised). */
  event(type: string, object: unknown, options: { id?: string; created?: number } = {}) {
    return {
      id: options.id ?? id('evt'),
      object: 'event',
      api_version: STAND_IN_API_VERSION,
      created: options.created ?? now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }

  /** The Stripe-Signature header for exactly `body`, from the SDK's own `webhooks.generateTestHeaderString`. */
  sign(body: string, secret: string, timestamp?: number): string {
    return new Stripe(STAND_IN_SECRET_KEY).webhooks.generateTestHeaderString({
      payload: body,
      secret,
      ...(timestamp ? { timestamp } : {}),
    });
  }

  /** A webhook delivery as Stripe sends it: the event JSON and its signature header. */
  signedEvent(
    type: string,
    object: unknown,
    secret: string,
    options: { id?: string; created?: number; timestamp?: number } = {},
  ): { id: string; body: string; signature: string } {
    const event = this.event(type, object, options);
    const body = JSON.stringify(event);
    return { id: event.id, body, signature: this.sign(body, secret, options.timestamp) };
  }

  /* ---------------------------------------------------------------- HTTP ---------------------------------------------------------------- */

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const params = parseStripeForm(method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString());
    this.requests.push({ method, path: url.pathname, params, headers: req.headers });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(JSON.stringify(body));
    };
    const fail = (err: StripeError) => send(err.status, { error: { type: err.type, message: err.message } });

    if (this.failWith) return fail(new StripeError(this.failWith, 'stand-in told to fail', 'api_error'));
    if (req.headers.authorization !== `Bearer ${STAND_IN_SECRET_KEY}`)
      return fail(new StripeError(401, 'Invalid API Key provided', 'authentication_error'));
    if (req.headers['stripe-version'] !== STAND_IN_API_VERSION)
      return fail(new StripeError(400, `unexpected Stripe-Version ${String(req.headers['stripe-version'])}`));

    const key = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const replay = key ? this.idempotent.get(`${url.pathname} ${key}`) : undefined;
    if (replay) return send(replay.status, replay.body);
    try {
      const body = this.route(method, url.pathname, params);
      if (key) this.idempotent.set(`${url.pathname} ${key}`, { status: 200, body });
      send(200, body);
    } catch (err) {
      if (err instanceof StripeError) return fail(err);
      send(500, { error: { type: 'api_error', message: (err as Error).message } });
    }
  }

  private route(method: string, path: string, p: Record<string, any>): unknown {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      const customer = {
        id: id('cus'),
        object: 'customer',
        created: now(),
        email: p.email ?? null,
        metadata: p.metadata ?? {},
        livemode: false,
      } as unknown as Stripe.Customer;
      this.customers.set(customer.id, customer);
      return customer;
    }
    if (method === 'GET' && path === '/v1/customers/search') {
      const q = /^metadata\['([a-z_]+)'\]:'([^']*)'$/.exec(String(p.query ?? ''));
      if (!q) throw new StripeError(400, `stand-in does not understand the query ${String(p.query)}`);
      const data = [...this.customers.values()].filter((c) => c.metadata[q[1]!] === q[2]);
      return { object: 'search_result', data, has_more: false, next_page: null, url: '/v1/customers/search' };
    }
    if (method === 'GET' && (m = /^\/v1\/customers\/(cus_[0-9a-f]+)$/.exec(path))) {
      const customer = this.customers.get(m[1]!);
      if (!customer) throw new StripeError(404, `No such customer: '${m[1]}'`);
      return customer;
    }
    if (method === 'GET' && path === '/v1/subscriptions') {
      const status = p.status ?? 'active'; // Stripe's default leaves canceled ones out
      const data = [...this.subscriptions.values()]
        .filter((s) => s.customer === p.customer)
        .filter((s) => (status === 'all' ? true : s.status === status))
        .sort((a, b) => b.created - a.created)
        .slice(0, Number(p.limit ?? 10));
      return { object: 'list', data, has_more: false, url: '/v1/subscriptions' };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (p.mode !== 'subscription') throw new StripeError(400, 'stand-in: only subscription mode');
      if (!this.customers.has(p.customer)) throw new StripeError(400, `No such customer: '${p.customer}'`);
      const sid = id('cs_test');
      return {
        id: sid,
        object: 'checkout.session',
        mode: p.mode,
        customer: p.customer,
        url: `https://checkout.stripe.test/c/pay/${sid}`,
      };
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!this.customers.has(p.customer)) throw new StripeError(400, `No such customer: '${p.customer}'`);
      const sid = id('bps');
      return {
        id: sid,
        object: 'billing_portal.session',
        customer: p.customer,
        return_url: p.return_url,
        url: `https://billing.stripe.test/p/session/${sid}`,
      };
    }
    throw new StripeError(404, `Unrecognized request URL (${method}: ${path}).`);
  }
}
