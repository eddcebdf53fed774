/** Wires one webhook-delivery process: database, broker, topology, consumers, command handlers. */
import { connectBroker, mapCommandErrors, on } from '@wahooks/broker';
import { ConnectionCreated, ConnectionDeleted, unavailable, WebhookDisabled, WhatsAppEvent } from '@wahooks/contracts';
import {
  checkDatabase,
  closeDatabase,
  isDatabaseUnavailable,
  openDatabase,
  sqlOf,
  startVacuumKeeper,
} from '@wahooks/db';
import { startOutboxRelay } from '@wahooks/outbox';
import { createLogger, type Logger } from '@wahooks/telemetry';
import type { Config } from './config.js';
import { createConnectionsRepo } from './adapters/connections-repo.js';
import { createDeliveriesRepo } from './adapters/deliveries-repo.js';
import { createHttpSender } from './adapters/http-sender.js';
import { retireLegacyQueues } from './adapters/legacy-queues.js';
import { createWebhooksRepo } from './adapters/webhooks-repo.js';
import { delayBuckets } from './domain/retry-schedule.js';
import { createHostResolver, createSsrfGuard } from '@wahooks/outbound-http';
import { handleAttemptDelivery } from './handlers/attempt-delivery.js';
import type { Deps } from './handlers/deps.js';
import { logCommands } from './handlers/log-commands.js';
import { onConnectionCreated, onConnectionDeleted } from './handlers/on-connection-lifecycle.js';
import { onWhatsAppEvent } from './handlers/on-whatsapp-event.js';
import { startStaleDeliverySweep } from './handlers/sweep-stale-deliveries.js';
import { webhookCommands } from './handlers/webhook-commands.js';
import { webhookDeliveryMigrations } from './migrations/index.js';
import { AttemptQueue, declareTopology } from './topology.js';

export const SCHEMA = 'webhook_delivery';

export interface WebhookDelivery {
  deps: Deps;
  /** The first pass over the queues an older deployment declared (adapters/legacy-queues.ts). */
  legacyQueuesRetired: Promise<void>;
  stop(): Promise<void>;
}

export async function startWebhookDelivery(
  config: Config,
  options: { logger?: Logger } = {},
): Promise<WebhookDelivery> {
  const logger = options.logger ?? createLogger('webhook-delivery');
  const db = await openDatabase({
    url: config.databaseUrl,
    schema: SCHEMA,
    migrations: webhookDeliveryMigrations,
    logger,
    poolSize: 20,
  });
  const broker = await connectBroker({
    url: config.rabbitmqUrl,
    service: 'webhook-delivery',
    namespace: config.brokerNamespace,
    logger,
    health: async () => ({ database: await checkDatabase(db) }), // in the ping reply, for GET /api/health
  }).catch(async (err: unknown) => {
    await closeDatabase(db);
    throw err;
  });

  const sql = sqlOf(db); // hand-written SQL on the DataSource's pool, for every repo
  const policy = { schedule: config.retrySchedule, jitter: config.retryJitter };
  // Names resolve off the thread pool with a deadline (a customer's stuck nameserver delays only its own webhook).
  const guard = createSsrfGuard(config.allowedHosts, {
    resolver: createHostResolver({ servers: config.dnsServers, timeoutMs: config.dnsTimeoutMs }),
  });
  // webhook.disabled is written to the outbox with the outcome that disabled the webhook; every replica relays
  // (each row under its lock). Sent rows are kept as long as the delivery logs.
  const outbox = startOutboxRelay({
    sql,
    broker,
    logger,
    events: [WebhookDisabled],
    purgeSentAfterMs: config.logRetentionMs > 0 ? config.logRetentionMs : undefined,
  });
  const deps: Deps = {
    config,
    logger,
    broker,
    policy,
    guard,
    outbox,
    webhooks: createWebhooksRepo(sql),
    connections: createConnectionsRepo(sql),
    deliveries: createDeliveriesRepo(sql),
    sender: createHttpSender({ timeoutMs: config.timeoutMs, bodyLimit: config.responseBodyLimit, guard }),
  };

  const attemptHandler = handleAttemptDelivery(deps);
  const delays = [...delayBuckets(policy), config.busyDelayMs];
  try {
    await broker.addSetup(declareTopology(broker.name, delays));
    await broker.subscribe(
      'connections',
      [on(ConnectionCreated, onConnectionCreated(deps)), on(ConnectionDeleted, onConnectionDeleted(deps))],
      { maxAttempts: 50 }, // like the fan-out: a Postgres outage must not dead-letter the ownership projection
    );
    await broker.consumeRaw(AttemptQueue, attemptHandler, { prefetch: config.prefetch });
    await broker.subscribe('fan-out', [on(WhatsAppEvent, onWhatsAppEvent(deps, attemptHandler.firstAttempt))], {
      prefetch: config.fanoutPrefetch,
      maxAttempts: 50, // ride out a Postgres outage of a few minutes (backoff capped at 5 s) before dead-lettering
    });
    // Postgres unreachable: 503 + Retry-After (the caller retries), not a 500.
    await broker.serve(
      mapCommandErrors([...webhookCommands(deps), ...logCommands(deps)], (err) =>
        isDatabaseUnavailable(err) ? unavailable('Webhook store unavailable, retry shortly') : err,
      ),
    );
  } catch (err) {
    await broker.close().catch(() => undefined);
    await outbox.stop();
    await closeDatabase(db);
    throw err;
  }
  const sweep = startStaleDeliverySweep(deps);
  // Every delivery updates its row and inserts/deletes its work-list row: without vacuum (a server with autovacuum
  // off) each statement costs more as dead versions pile up, so the service vacuums them itself there.
  const vacuum = startVacuumKeeper(db, {
    tables: ['deliveries', 'pending_deliveries', 'attempts', 'outbox'],
    mode: config.vacuum,
    logger,
  });
  const legacy = retireLegacyQueues(broker, delays, logger);
  logger.info({ schedule: config.retrySchedule }, 'webhook-delivery started');

  return {
    deps,
    legacyQueuesRetired: legacy.done,
    async stop() {
      legacy.stop();
      await sweep.stop();
      await vacuum.stop();
      await broker.close(); // stops consuming and waits for in-flight attempts
      await outbox.stop(); // what it could not publish yet stays in the outbox for the next start
      attemptHandler.close();
      deps.sender.close();
      await closeDatabase(db);
    },
  };
}
