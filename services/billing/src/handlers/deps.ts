import type { Sql } from '@wahooks/db';
import type { OutboxRelay } from '@wahooks/outbox';
import type { Logger } from '@wahooks/telemetry';
import type { CustomersRepo } from '../adapters/customers-repo.js';
import type { PeerServices } from '../adapters/peer-services.js';
import type { StripeEventsRepo } from '../adapters/stripe-events-repo.js';
import type { UsageRepo } from '../adapters/usage-repo.js';
import type { StripeSettings } from '../config.js';
import type { SlotsProjection } from '../projection/slots-projection.js';
import type { Stripe } from '../stripe/stripe-client.js';
import type { StripeCustomers } from '../stripe/stripe-customers.js';

/** Present exactly when billing is on (STRIPE_SECRET_KEY set). */
export interface StripeDeps {
  client: Stripe;
  settings: StripeSettings;
  customers: StripeCustomers;
}

/** What the command handlers need; built once in service.ts. */
export interface HandlerDeps {
  sql: Sql;
  logger: Logger;
  peers: PeerServices;
  customers: CustomersRepo;
  events: StripeEventsRepo;
  usage: UsageRepo;
  projection: SlotsProjection;
  /** Relays billing.slots.changed written by the projection. */
  relay: Pick<OutboxRelay, 'kick'>;
  stripe?: StripeDeps;
  /** Billing off: BILLING_FREE_SLOTS, null = unlimited. */
  freeSlots: number | null;
}
