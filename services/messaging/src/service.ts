/**
 * The messaging service as a function: open the database (migrations run), Redis and the broker, answer the
 * messaging commands, follow the connection service's events (acks, connection status), and clean up old rows.
 * `stop()` drains in-flight commands and closes everything. Reads no environment: main.ts and tests pass config.
 */
import 'reflect-metadata';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { ConnectionCreated, ConnectionDeleted, WhatsAppEvent } from '@wahooks/contracts';
import { checkDatabase, openDatabase, sqlOf, startVacuumKeeper } from '@wahooks/db';
import { createBoundedFetcher, createSsrfGuard, parseHostList } from '@wahooks/outbound-http';
import { createLogger, type Logger } from '@wahooks/telemetry';
import { ConnectionsRepo } from './adapters/connections-repo.js';
import { IdempotencyRepo } from './adapters/idempotency-repo.js';
import { createRedis, MediaStage } from './adapters/media-stage.js';
import { MessagesRepo } from './adapters/messages-repo.js';
import { SessionOwner } from './adapters/session-owner.js';
import type { MessagingConfig } from './config.js';
import { onConnectionCreated, onConnectionDeleted, onWhatsAppEvent } from './events/on-whatsapp-event.js';
import { ChatTurns } from './handlers/chat-turns.js';
import { connectionAccess } from './handlers/connection-access.js';
import { messagingCommandHandlers } from './handlers/index.js';
import { startHousekeeping } from './housekeeping.js';
import { messagingMigrations } from './migrations/index.js';

export interface MessagingService {
  broker: Broker;
  stop(): Promise<void>;
}

export async function startMessagingService(
  config: MessagingConfig,
  options: { logger?: Logger } = {},
): Promise<MessagingService> {
  const logger = options.logger ?? createLogger('messaging', config.LOG_LEVEL);
  const db = await openDatabase({
    url: config.DATABASE_URL,
    schema: 'messaging',
    migrations: messagingMigrations,
    poolSize: config.MESSAGING_DB_POOL_SIZE,
    logger,
  });
  const sql = sqlOf(db);
  const redis = createRedis(config.REDIS_URL, logger);
  const closeRedis = async () => {
    if (redis.isReady) await redis.close().catch(() => undefined);
    else if (redis.isOpen) redis.destroy();
  };
  let broker: Broker | undefined;
  try {
    await redis.connect();
    broker = await connectBroker({
      url: config.RABBITMQ_URL,
      service: 'messaging',
      namespace: config.BROKER_NAMESPACE,
      prefetch: config.MESSAGING_PREFETCH,
      logger,
      health: async () => ({ database: await checkDatabase(db) }), // in the ping reply, for GET /api/health
    });
    const connections = new ConnectionsRepo(sql);
    const messages = new MessagesRepo(sql);
    const idempotency = new IdempotencyRepo(sql);
    const guard = createSsrfGuard(parseHostList(config.OUTBOUND_ALLOWED_HOSTS));
    const fetcher = createBoundedFetcher({
      guard,
      connectTimeoutMs: config.MEDIA_FETCH_CONNECT_TIMEOUT_MS,
      timeoutMs: config.MEDIA_FETCH_TIMEOUT_MS,
      maxRedirects: config.MEDIA_FETCH_MAX_REDIRECTS,
    });
    // Events first: the projection is being kept before the first command reads it.
    await broker.subscribe(
      'tracking',
      [
        on(WhatsAppEvent, onWhatsAppEvent({ messages, connections })),
        on(ConnectionCreated, onConnectionCreated(connections)),
        on(ConnectionDeleted, onConnectionDeleted(connections)),
      ],
      { prefetch: config.MESSAGING_EVENTS_PREFETCH },
    );
    await broker.serve(
      messagingCommandHandlers({
        config,
        broker,
        logger,
        connections,
        access: connectionAccess(connections, broker),
        messages,
        idempotency,
        media: new MediaStage(redis, config.REDIS_PREFIX, config.MEDIA_STAGE_TTL_S),
        fetcher,
        owner: new SessionOwner(broker),
        turns: new ChatTurns(messages),
      }),
    );
    const housekeeping = startHousekeeping({
      idempotency,
      messages,
      retentionDays: config.MESSAGING_RETENTION_DAYS,
      logger,
    });
    // Every send updates its chat's sequence and its message's status, keys expire: vacuumed here when the
    // server's autovacuum is off (DB_VACUUM).
    const vacuum = startVacuumKeeper(db, {
      tables: ['messages', 'message_statuses', 'chat_sequences', 'idempotency_keys', 'connections'],
      mode: config.DB_VACUUM,
      logger,
    });
    logger.info('messaging service ready');

    let stopping: Promise<void> | undefined;
    const running = broker;
    return {
      broker: running,
      stop() {
        stopping ??= (async () => {
          await running.close(); // stops consuming and waits for in-flight commands
          await housekeeping.stop();
          await vacuum.stop();
          await closeRedis();
          await db.destroy();
          logger.info('messaging service stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await broker?.close().catch(() => undefined);
    await closeRedis();
    await db.destroy().catch(() => undefined);
    throw err;
  }
}
