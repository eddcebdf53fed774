/**
 * One TypeORM DataSource per service, on its own Postgres schema: the database is created if missing, the
 * schema too, and the service's hand-written migrations run at start under an advisory lock so that replicas
 * starting together apply them once. `synchronize` is never used.
 */
import 'reflect-metadata';
import pg from 'pg';
import { DataSource, type EntityManager, type MixedList, type EntitySchema } from 'typeorm';
import { ensureDatabase, quoteIdent } from './ensure-database.js';
import { typeormLogger, type DbLogger } from './typeorm-logger.js';

/** A pg client that never leaves an 'error' event unheard (the pool option in openDatabase says why). */
class ListeningClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

export interface OpenDatabaseOptions {
  /** postgres://user:pass@host:port/database */
  url: string;
  /** The service's schema, e.g. "token": lower-case letters, digits and underscores. */
  schema: string;
  /**
   * Entity classes (no globs), only if the service queries through them (default none: repositories use
   * `sqlOf`). Relation properties must be typed `Relation<...>` (ESM import cycles).
   */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  /** Migration classes; each class name (or `name` field) ends with a 13-digit timestamp that orders them. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  logger?: DbLogger;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * How long a caller waits for a pool connection (a new one to be made, or a busy one to be freed) before
   * failing with `timeout exceeded when trying to connect` (default 10 000 ms): an unreachable or partitioned
   * server is then an error the caller can retry or answer 503 for, not a wait without end.
   */
  connectTimeoutMs?: number;
  /** Queries slower than this are logged as warnings (default 1000 ms). */
  slowQueryMs?: number;
  /** How long a replica waits for another one's migrations before giving up (default 120 s). */
  migrationLockTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DataSource> {
  const { url, schema } = options;
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name "${schema}": use [a-z_][a-z0-9_]*`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  await ensureDatabase(url, connectTimeoutMs);

  const dataSource = new DataSource({
    type: 'postgres',
    url,
    schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: 'migrations', // inside `schema`, so every service has its own history
    migrationsTransactionMode: 'each',
    migrationsRun: false, // run below, under the lock
    synchronize: false,
    poolSize: options.poolSize ?? 10,
    applicationName: `wahooks-${schema}`,
    maxQueryExecutionTime: options.slowQueryMs ?? 1000,
    // Unqualified names in raw SQL resolve to the service's schema first.
    extra: {
      options: `-c search_path=${schema},public`,
      connectionTimeoutMillis: connectTimeoutMs,
      // Every pool client keeps a listener for its own errors. pg reports a terminated backend (failover, admin
      // restart) as an 'error' event, and a client that is between owners has none: one released as broken
      // while its socket is still closing (sql.ts transaction) or held by TypeORM. Unheard, it crashes the
      // process (seen once in e2e/test/db-blip.test.ts). Statements in flight still fail as before.
      Client: ListeningClient,
    },
    logger: options.logger ? typeormLogger(options.logger, schema) : undefined,
    logging: options.logger ? ['error', 'warn', 'migration', 'schema'] : false,
  });
  await dataSource.initialize();
  try {
    await migrateUnderLock(dataSource, options);
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return dataSource;
}

async function migrateUnderLock(dataSource: DataSource, options: OpenDatabaseOptions): Promise<void> {
  // A session-level advisory lock on a connection of its own; TypeORM runs the migrations on pool connections.
  const lock = new pg.Client({
    connectionString: options.url,
    application_name: `wahooks-${options.schema}-migrate`,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // Errors of an idle client are emitted, not thrown: a terminated backend must fail the next query, not crash.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query(`SET lock_timeout = ${Math.max(1, Math.round(options.migrationLockTimeoutMs ?? 120_000))}`);
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`wahooks:migrations:${options.schema}`]);
    try {
      // A role that owns only its schema (the deployments' per-service roles) may not CREATE on the database,
      // and Postgres checks that privilege before IF NOT EXISTS: create the schema only when it is missing.
      const existing = await lock.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [options.schema]);
      if (existing.rowCount === 0) await lock.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      if (applied.length > 0) {
        options.logger?.info(
          { schema: options.schema, migrations: applied.map((m) => m.name) },
          `applied ${applied.length} migration(s)`,
        );
      }
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`wahooks:migrations:${options.schema}`]);
    }
  } finally {
    await lock.end().catch(() => undefined);
  }
}

export async function closeDatabase(dataSource: DataSource | undefined): Promise<void> {
  if (dataSource?.isInitialized) await dataSource.destroy();
}

/** Runs `work` in one transaction (READ COMMITTED unless given); it commits when `work` resolves. */
export function withTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE',
): Promise<T> {
  return isolation ? dataSource.transaction(isolation, work) : dataSource.transaction(work);
}
