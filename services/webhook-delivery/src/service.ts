/** Wires one webhook-delivery process: database, broker, topology, consumers, command handlers. */
import { connectBroker, on } from '@wahooks/broker';
import { ConnectionCreated, ConnectionDeleted, WhatsAppEvent } from '@wahooks/contracts';
import { closeDatabase, openDatabase } from '@wahooks/db';
import { createLogger, type Logger } from '@wahooks/telemetry';
import type { Config } from './config.js';
import { createConnectionsRepo } from './adapters/connections-repo.js';
import { createDeliveriesRepo } from './adapters/deliveries-repo.js';
import { createHttpSender } from './adapters/http-sender.js';
import { createWebhooksRepo } from './adapters/webhooks-repo.js';
import { delayBuckets } from './domain/retry-schedule.js';
import { createSsrfGuard } from './domain/ssrf-guard.js';
import { handleAttemptDelivery } from './handlers/attempt-delivery.js';
import type { Deps } from './handlers/deps.js';
import { logCommands } from './handlers/log-commands.js';
import { onConnectionCreated, onConnectionDeleted } from './handlers/on-connection-lifecycle.js';
import { onWhatsAppEvent } from './handlers/on-whatsapp-event.js';
import { startStaleDeliverySweep } from './handlers/sweep-stale-deliveries.js';
import { webhookCommands } from './handlers/webhook-commands.js';
import { InitWebhookDelivery1764230000000 } from './migrations/1764230000000-init.js';
import { PendingSweepIndex1764240000000 } from './migrations/1764240000000-pending-sweep-index.js';
import { DisableOutbox1764250000000 } from './migrations/1764250000000-disable-outbox.js';
import { RetentionIndexes1764260000000 } from './migrations/1764260000000-retention-indexes.js';
import { AttemptQueue, declareTopology } from './topology.js';

export const SCHEMA = 'webhook_delivery';

export interface WebhookDelivery {
  deps: Deps;
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
    entities: [],
    migrations: [
      InitWebhookDelivery1764230000000,
      PendingSweepIndex1764240000000,
      DisableOutbox1764250000000,
      RetentionIndexes1764260000000,
    ],
    logger,
    poolSize: 20,
  });
  const broker = await connectBroker({
    url: config.rabbitmqUrl,
    service: 'webhook-delivery',
    namespace: config.brokerNamespace,
    logger,
  }).catch(async (err: unknown) => {
    await closeDatabase(db);
    throw err;
  });

  const policy = { schedule: config.retrySchedule, jitter: config.retryJitter };
  const guard = createSsrfGuard(config.allowedHosts);
  const deps: Deps = {
    config,
    logger,
    broker,
    policy,
    guard,
    webhooks: createWebhooksRepo(db),
    connections: createConnectionsRepo(db),
    deliveries: createDeliveriesRepo(db),
    sender: createHttpSender({ timeoutMs: config.timeoutMs, bodyLimit: config.responseBodyLimit, guard }),
  };

  const attemptHandler = handleAttemptDelivery(deps);
  try {
    await broker.addSetup(declareTopology(broker.name, [...delayBuckets(policy), config.busyDelayMs]));
    await broker.subscribe('connections', [
      on(ConnectionCreated, onConnectionCreated(deps)),
      on(ConnectionDeleted, onConnectionDeleted(deps)),
    ]);
    await broker.consumeRaw(AttemptQueue, attemptHandler, { prefetch: config.prefetch });
    await broker.subscribe('fan-out', [on(WhatsAppEvent, onWhatsAppEvent(deps, attemptHandler.firstAttempt))], {
      prefetch: config.fanoutPrefetch,
      maxAttempts: 50, // ride out a Postgres outage of a few minutes (backoff capped at 5 s) before dead-lettering
    });
    await broker.serve([...webhookCommands(deps), ...logCommands(deps)]);
  } catch (err) {
    await broker.close().catch(() => undefined);
    await closeDatabase(db);
    throw err;
  }
  const sweep = startStaleDeliverySweep(deps);
  logger.info({ schedule: config.retrySchedule }, 'webhook-delivery started');

  return {
    deps,
    async stop() {
      await sweep.stop();
      await broker.close(); // stops consuming and waits for in-flight attempts
      attemptHandler.close();
      deps.sender.close();
      await closeDatabase(db);
    },
  };
}
