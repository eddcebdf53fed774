/**
 * The one way to run hand-written SQL: on the pg Pool that TypeORM's DataSource opened (no second pool), with
 * plain rows back whatever the statement (TypeORM's own `query` returns `[rows, count]` for UPDATE/DELETE).
 * Hot paths use `prepared`: a named statement is parsed and planned once per pool connection (measured ~2× the
 * throughput of `dataSource.query` on the token service's lookups).
 */
import type { DataSource } from 'typeorm';

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
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
}
interface PgPool extends PgQueryable {
  connect(): Promise<PgQueryable & { release(err?: Error | boolean): void }>;
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

function onClient(client: PgQueryable): Sql {
  const self: Sql = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await client.query({ text, values: params as unknown[] })).rows as T[];
    },
    async prepared<T>(name: string, text: string, params: readonly unknown[] = []) {
      return (await client.query({ name, text, values: params as unknown[] })).rows as T[];
    },
    transaction: (work) => work(self),
  };
  return self;
}

/** A `Sql` on the DataSource's pool. Cheap: make one per service and pass it to the repositories. */
export function sqlOf(dataSource: DataSource): Sql {
  const pool = poolOf(dataSource);
  const direct = onClient(pool);
  return {
    query: direct.query,
    prepared: direct.prepared,
    async transaction<T>(work: (tx: Sql) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query({ text: isolation ? `BEGIN ISOLATION LEVEL ${isolation}` : 'BEGIN' });
        const out = await work(onClient(client));
        await client.query({ text: 'COMMIT' });
        return out;
      } catch (err) {
        await client.query({ text: 'ROLLBACK' }).catch((rollbackErr: unknown) => {
          // A connection that cannot roll back is not handed to the next caller.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
  };
}
