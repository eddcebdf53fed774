/**
 * The one way to run hand-written SQL: on the pg Pool that TypeORM's DataSource opened (no second pool), with
 * plain rows back whatever the statement (TypeORM's own `query` returns `[rows, count]` for UPDATE/DELETE).
 * Hot paths use `prepared`: a named statement is parsed and planned once per pool connection (measured ~2× the
 * throughput of `dataSource.query` on the token service's lookups).
 *
 * Statements go through the DataSource's logger like TypeORM's own queries: every one at trace, failures at
 * debug, and those slower than `maxQueryExecutionTime` (openDatabase's `slowQueryMs`) as a warning. Errors are
 * pg's own `DatabaseError` (with `code`, `constraint`, …), not TypeORM's `QueryFailedError` wrapper.
 *
 * Every statement has a deadline (`queryTimeoutMs`, default 30 s, pg's client-side `query_timeout`): when the
 * network to Postgres stops carrying bytes (a partition, a dead host), a statement fails with `Query read
 * timeout` (an outage for `isDatabaseUnavailable`) and its connection is discarded, instead of holding a pool
 * connection and its caller forever. Waiting for a free pool connection is bounded by openDatabase's
 * `connectTimeoutMs`. TypeORM's own queries (migrations) have no such deadline.
 */
import type { DataSource, Logger as OrmLogger } from 'typeorm';

export interface Sql {
  /** Rows of one parameterised statement ($1, $2, …). */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** The same as a named prepared statement: `name` must always go with the same `text`. */
  prepared<T = Record<string, unknown>>(name: string, text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on throw). Nested calls reuse the outer one. */
  transaction<T>(work: (tx: Sql) => Promise<T>, isolation?: IsolationLevel): Promise<T>;
}

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** What this file needs of a pg Pool or PoolClient: both have `query(config)`. */
interface PgQueryable {
  query(config: {
    text: string;
    values?: unknown[];
    name?: string;
    query_timeout?: number;
  }): Promise<{ rows: unknown[] }>;
}
interface PgPoolClient extends PgQueryable {
  release(err?: Error | boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
}
interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
}

function poolOf(dataSource: DataSource): PgPool {
  if (!dataSource.isInitialized) throw new Error('sqlOf: the DataSource is not initialised');
  // PostgresDriver.master is TypeORM's public (documented `any`) handle on its pg.Pool; this is the only place
  // in the repo that touches it.
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool || typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
    throw new Error('sqlOf: the DataSource is not a postgres DataSource with a pg Pool');
  }
  return pool;
}

/** Runs one statement on `target` with TypeORM's query logging around it. */
type Run = (target: PgQueryable, config: { text: string; values: unknown[]; name?: string }) => Promise<unknown[]>;

/** Default deadline of one statement, ms. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

function runner(logger: OrmLogger, slowMs: number | undefined, timeoutMs: number): Run {
  return async (target, config) => {
    logger.logQuery(config.text, config.values);
    const started = performance.now();
    try {
      const { rows } = await target.query({ ...config, query_timeout: timeoutMs });
      const ms = performance.now() - started;
      if (slowMs && ms > slowMs) logger.logQuerySlow(Math.round(ms), config.text, config.values);
      return rows;
    } catch (err) {
      logger.logQueryError(err instanceof Error ? err : String(err), config.text, config.values);
      throw err;
    }
  };
}

function onClient(client: PgQueryable, run: Run): Sql {
  const self: Sql = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await run(client, { text, values: params as unknown[] })) as T[];
    },
    async prepared<T>(name: string, text: string, params: readonly unknown[] = []) {
      return (await run(client, { name, text, values: params as unknown[] })) as T[];
    },
    transaction: (work) => work(self),
  };
  return self;
}

/** A `Sql` on the DataSource's pool. Cheap: make one per service and pass it to the repositories. */
export function sqlOf(dataSource: DataSource, options: { queryTimeoutMs?: number } = {}): Sql {
  const pool = poolOf(dataSource);
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const run = runner(dataSource.logger, dataSource.options.maxQueryExecutionTime, timeoutMs);
  const direct = onClient(pool, run);
  return {
    query: direct.query,
    prepared: direct.prepared,
    async transaction<T>(work: (tx: Sql) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no 'error' listener of the pool's: without this one, the server ending the
      // connection between two statements (failover, restart, pg_terminate_backend) would crash the process.
      const onError = (err: Error) => void (broken ??= err);
      client.on('error', onError);
      try {
        await run(client, { text: isolation ? `BEGIN ISOLATION LEVEL ${isolation}` : 'BEGIN', values: [] });
        const out = await work(onClient(client, run));
        await run(client, { text: 'COMMIT', values: [] });
        return out;
      } catch (err) {
        await client.query({ text: 'ROLLBACK', query_timeout: timeoutMs }).catch((rollbackErr: unknown) => {
          // A connection that cannot roll back is not handed to the next caller: release(err) destroys it.
          broken ??= rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      } finally {
        // A broken client keeps the listener: its socket may still report the termination while the pool ends it.
        if (!broken) client.removeListener('error', onError);
        client.release(broken);
      }
    },
  };
}
