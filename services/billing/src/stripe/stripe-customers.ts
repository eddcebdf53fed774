/**
 * The Stripe customer of a user, created lazily with `{email, metadata: {wahooks_user_id}}`. One per user even
 * when requests race or the row was lost: the stored row first, then Stripe's customer search by metadata, then
 * a create whose idempotency key is derived from the user id (two racing creates get one customer from Stripe).
 */
import type { Logger } from '@wahooks/telemetry';
import type { CustomerRow, CustomersRepo } from '../adapters/customers-repo.js';
import { callStripe } from './stripe-errors.js';
import type { Stripe } from './stripe-client.js';

export const USER_ID_METADATA = 'wahooks_user_id';

export class StripeCustomers {
  constructor(
    private readonly stripe: Stripe,
    private readonly customers: CustomersRepo,
    private readonly logger: Logger,
  ) {}

  async ensure(userId: string, email: string | null): Promise<CustomerRow> {
    const stored = await this.customers.byUser(userId);
    if (stored) return stored;
    const found = await callStripe(this.logger, 'customers.search', () =>
      this.stripe.customers.search({ query: `metadata['${USER_ID_METADATA}']:'${userId}'`, limit: 1 }),
    );
    const customer =
      found.data[0] ??
      (await callStripe(this.logger, 'customers.create', () =>
        this.stripe.customers.create(
          { ...(email ? { email } : {}), metadata: { [USER_ID_METADATA]: userId } },
          { idempotencyKey: `wahooks-customer-${userId}` },
        ),
      ));
    this.logger.info(
      { userId, customerId: customer.id },
      found.data[0] ? 'Stripe customer found' : 'Stripe customer created',
    );
    return this.customers.remember(userId, customer.id, email);
  }

  /**
   * The user a customer belongs to: the stored row, else the customer's metadata at Stripe (then stored).
   * Undefined for a customer this server did not create.
   */
  async userOf(customerId: string): Promise<string | undefined> {
    const stored = await this.customers.byCustomerId(customerId);
    if (stored) return stored.userId;
    const customer = await callStripe(this.logger, 'customers.retrieve', () =>
      this.stripe.customers.retrieve(customerId),
    );
    if (customer.deleted) return undefined;
    const userId = customer.metadata?.[USER_ID_METADATA];
    if (!userId) return undefined;
    await this.customers.remember(userId, customer.id, customer.email ?? null);
    return userId;
  }
}
