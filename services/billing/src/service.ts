/**
 * The billing service as a function: open the database (migrations run), connect to the broker, answer the
 * billing commands, relay billing.slots.changed from the outbox, and meter usage. With STRIPE_SECRET_KEY unset
 * billing is off (self-hosted): no Stripe client exists at all. `stop()` drains in-flight commands and closes
 * everything. Reads no environment: main.ts and the tests pass the config.
 */
import 'reflect-metadata';
import { connectBroker, type Broker } from '@wahooks/broker';
import { BillingSlotsChanged } from '@wahooks/contracts';
import { checkDatabase, openDatabase, sqlOf } from '@wahooks/db';
import { startOutboxRelay, type OutboxRelay } from '@wahooks/outbox';
import { createLogger, type Logger } from '@wahooks/telemetry';
import { CustomersRepo } from './adapters/customers-repo.js';
import { PeerServices } from './adapters/peer-services.js';
import { StripeEventsRepo } from './adapters/stripe-events-repo.js';
import { SubscriptionsRepo } from './adapters/subscriptions-repo.js';
import { UsageRepo } from './adapters/usage-repo.js';
import { stripeSettings, type BillingConfig } from './config.js';
import { billingCommandHandlers, type StripeDeps } from './handlers/index.js';
import { billingMigrations } from './migrations/index.js';
import { SlotsProjection } from './projection/slots-projection.js';
import { createStripeClient } from './stripe/stripe-client.js';
import { StripeCustomers } from './stripe/stripe-customers.js';
import { startUsageMeter, type UsageMeter } from './usage/usage-meter.js';

export interface BillingService {
  broker: Broker;
  /** Billing on (Stripe configured) or off (self-hosted). */
  enabled: boolean;
  usage: UsageMeter;
  stop(): Promise<void>;
}

export async function startBillingService(
  config: BillingConfig,
  options: { logger?: Logger } = {},
): Promise<BillingService> {
  const logger = options.logger ?? createLogger('billing', config.LOG_LEVEL);
  const db = await openDatabase({
    url: config.DATABASE_URL,
    schema: 'billing',
    migrations: billingMigrations,
    poolSize: config.BILLING_DB_POOL_SIZE,
    logger,
  });
  const sql = sqlOf(db);
  const customers = new CustomersRepo(sql);
  const usage = new UsageRepo(sql);
  const settings = stripeSettings(config);
  let broker: Broker | undefined;
  let relay: OutboxRelay | undefined;
  let meter: UsageMeter | undefined;
  try {
    broker = await connectBroker({
      url: config.RABBITMQ_URL,
      service: 'billing',
      namespace: config.BROKER_NAMESPACE,
      prefetch: config.BILLING_PREFETCH,
      logger,
      health: async () => ({ database: await checkDatabase(db) }), // in the ping reply, for GET /api/health
    });
    // billing.slots.changed is written with the projection change; sent rows are kept 7 days.
    relay = startOutboxRelay({
      sql,
      broker,
      logger,
      events: [BillingSlotsChanged],
      purgeSentAfterMs: 7 * 24 * 3600_000,
    });
    const peers = new PeerServices(broker);
    let stripe: StripeDeps | undefined;
    if (settings) {
      const client = createStripeClient(settings);
      stripe = { client, settings, customers: new StripeCustomers(client, customers, logger) };
    }
    await broker.serve(
      billingCommandHandlers({
        sql,
        logger,
        peers,
        customers,
        events: new StripeEventsRepo(sql),
        usage,
        projection: new SlotsProjection(customers, new SubscriptionsRepo(sql)),
        relay,
        stripe,
        freeSlots: config.BILLING_FREE_SLOTS ?? null,
      }),
    );
    meter = startUsageMeter({ peers, usage, intervalMs: config.BILLING_USAGE_INTERVAL_MS, logger });
  } catch (err) {
    await broker?.close().catch(() => undefined);
    await relay?.stop().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    throw err;
  }
  if (settings) logger.info({ stripeApi: settings.apiUrl }, 'billing service ready (Stripe billing on)');
  else
    logger.info(
      { freeSlots: config.BILLING_FREE_SLOTS ?? 'unlimited' },
      'billing service ready (billing off: no STRIPE_SECRET_KEY, self-hosted mode)',
    );

  let stopping: Promise<void> | undefined;
  const running = broker;
  const outbox = relay;
  const usageMeter = meter;
  return {
    broker: running,
    enabled: settings !== undefined,
    usage: usageMeter,
    stop() {
      stopping ??= (async () => {
        await usageMeter.stop();
        await running.close(); // stops consuming and waits for in-flight commands
        await outbox.stop(); // rows it could not publish yet stay for the next start
        await db.destroy();
        logger.info('billing service stopped');
      })();
      return stopping;
    },
  };
}
