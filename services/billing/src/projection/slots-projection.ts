/**
 * Applies what Stripe says about a user's subscriptions (a webhook event or a live read) to the projection, in
 * one transaction per change: the subscription rows, the user's paid slots (the active-subscription rule), and,
 * when the slots must be enforced, `billing.slots.changed` in the outbox (relayed after the commit).
 */
import { BillingSlotsChanged } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { outboxEntry, writeOutbox } from '@wahooks/outbox';
import type { CustomersRepo } from '../adapters/customers-repo.js';
import type { SubscriptionsRepo } from '../adapters/subscriptions-repo.js';
import { paidSlots, type SubscriptionState } from '../domain/subscription-state.js';

export interface ProjectionChange {
  userId: string;
  subscriptions: readonly SubscriptionState[];
  /** When this state was true at Stripe: the event's `created`, or the start of the live read. */
  syncedAt: Date;
  /**
   * `always`: publish billing.slots.changed whatever the slots (every subscription webhook enforces, as the
   * original did); `if-changed`: only when the paid slots moved (live reads, which run on every status call).
   */
  publish: 'always' | 'if-changed';
}

export class SlotsProjection {
  constructor(
    private readonly customers: CustomersRepo,
    private readonly subscriptions: SubscriptionsRepo,
  ) {}

  /** Inside `tx` (the caller commits, then kicks the relay). Returns the user's paid slots afterwards. */
  async apply(tx: Sql, change: ProjectionChange): Promise<{ slots: number; published: boolean }> {
    await this.customers.lock(tx, change.userId);
    for (const s of change.subscriptions) await this.subscriptions.upsert(tx, change.userId, s, change.syncedAt);
    const slots = paidSlots(await this.subscriptions.forUser(change.userId, tx));
    const changed = await this.customers.setSlots(tx, change.userId, slots);
    const published = changed || change.publish === 'always';
    if (published)
      await writeOutbox(tx, [
        outboxEntry(BillingSlotsChanged, { userId: change.userId, slots }, { partitionKey: change.userId }),
      ]);
    return { slots, published };
  }
}
