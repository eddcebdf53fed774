/**
 * The token service as a function: open the database (migrations run), connect to the broker, answer the
 * token commands, and take the gateways' reports of cached token uses (gateway.token.used). `stop()` drains
 * in-flight commands, writes pending lastUsedAt values and closes everything. Reads no environment: main.ts and
 * the tests pass the config.
 */
import { connectBroker, on } from '@wahooks/broker';
import { TokenRevoked, TokensUsed } from '@wahooks/contracts';
import { checkDatabase, openDatabase, sqlOf } from '@wahooks/db';
import { startOutboxRelay, type OutboxRelay } from '@wahooks/outbox';
import { createLogger, type Logger } from '@wahooks/telemetry';
import { TokensRepo } from './adapters/tokens-repo.js';
import { UsersRepo } from './adapters/users-repo.js';
import type { TokenConfig } from './config.js';
import { onTokensUsed } from './events/on-tokens-used.js';
import { tokenCommandHandlers } from './handlers/index.js';
import { LastUsedWriter } from './last-used-writer.js';
import { tokenMigrations } from './migrations/index.js';

export interface TokenService {
  stop(): Promise<void>;
}

export async function startTokenService(config: TokenConfig, options: { logger?: Logger } = {}): Promise<TokenService> {
  const logger = options.logger ?? createLogger('token', config.LOG_LEVEL);
  const db = await openDatabase({
    url: config.DATABASE_URL,
    schema: 'token',
    migrations: tokenMigrations,
    poolSize: config.TOKEN_DB_POOL_SIZE,
    logger,
  });
  const sql = sqlOf(db); // the repositories' hand-written SQL, on the DataSource's pool
  const tokens = new TokensRepo(sql);
  const users = new UsersRepo(sql);
  const lastUsed = new LastUsedWriter(tokens, config.TOKEN_LAST_USED_FLUSH_MS, logger);
  lastUsed.start();

  let broker: Awaited<ReturnType<typeof connectBroker>> | undefined;
  let relay: OutboxRelay | undefined;
  try {
    broker = await connectBroker({
      url: config.RABBITMQ_URL,
      service: 'token',
      namespace: config.BROKER_NAMESPACE,
      prefetch: config.TOKEN_PREFETCH,
      logger,
      health: async () => ({ database: await checkDatabase(db) }), // in the ping reply, for GET /api/health
    });
    // token.token.revoked goes out through the outbox (written with the revoke); sent rows are kept 7 days.
    relay = startOutboxRelay({ sql, broker, logger, events: [TokenRevoked], purgeSentAfterMs: 7 * 24 * 3600_000 });
    await broker.serve(tokenCommandHandlers({ tokens, users, lastUsed, outbox: relay, logger }));
    // One durable queue shared by the replicas: each report is applied once, by whichever instance takes it.
    await broker.subscribe('last-used', [on(TokensUsed, onTokensUsed(lastUsed))]);
  } catch (err) {
    await broker?.close().catch(() => undefined);
    await relay?.stop().catch(() => undefined);
    await lastUsed.stop().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    throw err;
  }
  logger.info('token service ready');

  let stopping: Promise<void> | undefined;
  const running = broker;
  const outbox = relay;
  return {
    stop() {
      stopping ??= (async () => {
        await running.close(); // stops consuming and waits for in-flight commands (a revoke waits for the relay)
        await outbox.stop(); // rows it could not publish yet stay for the next start
        await lastUsed.stop(); // after the last verify, so its mark is written too
        await db.destroy();
        logger.info('token service stopped');
      })();
      return stopping;
    },
  };
}
