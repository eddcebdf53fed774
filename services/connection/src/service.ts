/** Starts one connection replica: Postgres, Redis, broker, the session manager and the command handlers. */
import { Agent } from 'node:https';
import { createClient, type RedisClientType } from 'redis';
import { connectBroker, mapCommandErrors } from '@wahooks/broker';
import { checkDatabase, closeDatabase, openDatabase, sqlOf, startVacuumKeeper } from '@wahooks/db';
import type { Logger } from '@wahooks/telemetry';
import { MEDIA_TLS_CERT_PEM } from '@wahooks/wa-trust';
import { DeleteConnection, GetConnectionMedia, GetOrCreateConnection, RestartConnection } from '@wahooks/contracts';
import { connectionCommands } from './commands/connection-commands.js';
import { databaseOutageAs503 } from './commands/database-outage.js';
import { checkRedis } from './health/redis-check.js';
import { boundPerUser } from './commands/per-user-bound.js';
import { contactsApi } from './commands/contacts-api.js';
import { groupsApi } from './commands/groups-api.js';
import { labelsApi } from './commands/labels-api.js';
import { pairingApi } from './commands/pairing-api.js';
import { startBillingLink } from './billing/index.js';
import type { ConnectionEnv } from './config.js';
import { connectionMigrations } from './migrations/index.js';
import { parseWaVersion, setupBaileysRuntime } from './sessions/baileys-runtime.js';
import { redisMediaStore } from './sessions/outbound/media-store.js';
import { mediaRefusal } from './sessions/media-download.js';
import { mediaPolicyOf } from './sessions/media-policy.js';
import { createSessionManager, type SessionManager } from './sessions/session-manager.js';

export interface ConnectionService {
  sessions: SessionManager;
  stop(): Promise<void>;
}

export async function startConnectionService(
  config: ConnectionEnv,
  options: { logger: Logger; instanceId?: string; qrWait?: { attempts: number; intervalMs: number } },
): Promise<ConnectionService> {
  const { logger } = options;
  if (config.WA_SERVER_ROOT_KEY)
    logger.warn(
      "WA_SERVER_ROOT_KEY is set: sessions trust a test server's root key instead of WhatsApp's (tests and demos only)",
    );
  setupBaileysRuntime({ serverRootKey: config.WA_SERVER_ROOT_KEY });
  const waVersion = parseWaVersion(config.WA_VERSION);

  const db = await openDatabase({
    url: config.DATABASE_URL,
    schema: 'connection',
    migrations: connectionMigrations,
    poolSize: 20,
    logger: logger.child({ component: 'db' }),
  });
  const sql = sqlOf(db); // every repository's hand-written SQL, on the DataSource's pool

  const redis = createClient({ url: config.REDIS_URL }) as RedisClientType;
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis error'));
  await redis.connect();

  const broker = await connectBroker({
    url: config.RABBITMQ_URL,
    service: 'connection',
    namespace: config.BROKER_NAMESPACE,
    logger: logger.child({ component: 'broker' }),
    // in the ping reply, for GET /api/health
    health: async () => {
      const [database, redisCheck] = await Promise.all([checkDatabase(db), checkRedis(redis)]);
      return { database, redis: redisCheck };
    },
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
  });

  // With the emulator (WA_SERVER_ROOT_KEY set), trust its media host's fixed certificate (uploads and downloads).
  const testMediaAgent = config.WA_SERVER_ROOT_KEY ? new Agent({ ca: MEDIA_TLS_CERT_PEM }) : undefined;
  const mediaDownload = mediaPolicyOf(config, testMediaAgent);
  const sessions = await createSessionManager({
    sql,
    redis,
    redisPrefix: config.REDIS_PREFIX,
    broker,
    leaseMs: config.SESSION_LEASE_MS,
    media: redisMediaStore(redis),
    sendTimeoutMs: config.SEND_TIMEOUT_MS,
    logger,
    config: {
      waWebSocketUrl: config.WA_WEBSOCKET_URL,
      waVersion,
      baileysLogLevel: config.WA_LOG_LEVEL,
      engineVersion: '7.0.0-rc14',
      ...(testMediaAgent ? { fetchAgent: testMediaAgent } : {}),
      mediaDownload,
    },
  });
  // The create gate, slot enforcement and the counts billing asks for (src/billing; BILLING_GATE).
  const { gate: slots, commands: billingCommands } = await startBillingLink({
    sql,
    broker,
    logger,
    gate: config.BILLING_GATE,
    maxConnectionsPerUser: config.MAX_CONNECTIONS_PER_USER,
    kickRelay: () => sessions.relay.kick(),
  });
  // One user's slow commands (they wait for a QR or the session owner) cannot take every handler slot.
  const commands = boundPerUser(
    connectionCommands({
      sql,
      broker,
      qrWait: options.qrWait,
      kickRelay: () => sessions.relay.kick(),
      publicApiUrl: config.PUBLIC_API_URL,
      slots,
      mediaRefusal: (media) => mediaRefusal(media, mediaDownload),
    }),
    [GetOrCreateConnection, GetConnectionMedia, DeleteConnection, RestartConnection],
    config.SLOW_COMMANDS_PER_USER,
  );
  // One serve() for every command of the shared `connection:commands` queue: the first serve() starts consuming
  // it, and the other replicas have bound every name to it, so a handler added by a later call would be missing
  // for a moment and its requests answered 501 (seen while a replica started during a rolling restart).
  await broker.serve([
    ...billingCommands,
    ...mapCommandErrors(commands, databaseOutageAs503),
    ...mapCommandErrors(labelsApi({ sql }), databaseOutageAs503),
    // Pairing by code, number checks and groups: checked here, run by the replica holding the session.
    ...mapCommandErrors(
      [...pairingApi({ sql, broker }), ...contactsApi({ sql, broker }), ...groupsApi({ sql, broker })],
      databaseOutageAs503,
    ),
  ]);
  await sessions.start();
  // Signal keys are rewritten on every message, outbox rows marked sent and purged: on a server with autovacuum
  // off the service vacuums these itself (DB_VACUUM).
  const vacuum = startVacuumKeeper(db, {
    tables: ['auth_keys', 'outbox', 'messages', 'chats', 'connections'],
    mode: config.DB_VACUUM,
    logger: logger.child({ component: 'db' }),
  });
  logger.info({ instance: broker.instanceId }, 'connection service started');

  return {
    sessions,
    async stop() {
      await vacuum.stop();
      await sessions.stop();
      await broker.close();
      redis.destroy();
      await closeDatabase(db);
    },
  };
}
