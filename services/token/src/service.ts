/**
 * The token service as a function: open the database (migrations run), connect to the broker, answer the
 * token commands, and take the gateways' reports of cached token uses (gateway.token.used). `stop()` drains
 * in-flight commands, writes pending lastUsedAt values and closes everything. Reads no environment: main.ts and
 * the tests pass the config.
 */
import 'reflect-metadata';
import { connectBroker, on } from '@wahooks/broker';
import { TokensUsed } from '@wahooks/contracts';
import { openDatabase } from '@wahooks/db';
import { createLogger, type Logger } from '@wahooks/telemetry';
import { TokensRepo } from './adapters/tokens-repo.js';
import { UsersRepo } from './adapters/users-repo.js';
import type { TokenConfig } from './config.js';
import { tokenEntities } from './entities/index.js';
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
    entities: tokenEntities,
    migrations: tokenMigrations,
    poolSize: config.TOKEN_DB_POOL_SIZE,
    logger,
  });
  const tokens = new TokensRepo(db);
  const users = new UsersRepo(db);
  const lastUsed = new LastUsedWriter(tokens, config.TOKEN_LAST_USED_FLUSH_MS, logger);
  lastUsed.start();

  let broker: Awaited<ReturnType<typeof connectBroker>> | undefined;
  try {
    broker = await connectBroker({
      url: config.RABBITMQ_URL,
      service: 'token',
      namespace: config.BROKER_NAMESPACE,
      prefetch: config.TOKEN_PREFETCH,
      logger,
    });
    await broker.serve(tokenCommandHandlers({ tokens, users, lastUsed, events: broker, logger }));
    // One durable queue shared by the replicas: each report is applied once, by whichever instance takes it.
    await broker.subscribe('last-used', [on(TokensUsed, onTokensUsed(lastUsed))]);
  } catch (err) {
    await broker?.close().catch(() => undefined);
    await lastUsed.stop().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    throw err;
  }
  logger.info('token service ready');

  let stopping: Promise<void> | undefined;
  const running = broker;
  return {
    stop() {
      stopping ??= (async () => {
        await running.close(); // stops consuming and waits for in-flight commands
        await lastUsed.stop(); // after the last verify, so its mark is written too
        await db.destroy();
        logger.info('token service stopped');
      })();
      return stopping;
    },
  };
}
