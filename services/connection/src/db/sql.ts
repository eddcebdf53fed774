/**
 * The narrow SQL surface this service needs: parameterised queries and transactions. Backed by a `pg.Pool`
 * today; a TypeORM DataSource from @wahooks/db fits the same shape (`query`, `transaction`).
 */
import pg from 'pg';

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on throw). Nested calls reuse the outer one. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

function clientSql(client: pg.PoolClient): Sql {
  const self: Sql = {
    async query<T>(text: string, params?: unknown[]) {
      return (await client.query(text, params)).rows as T[];
    },
    transaction: (fn) => fn(self),
  };
  return self;
}

export function pgSql(pool: pg.Pool): Sql {
  return {
    async query<T>(text: string, params?: unknown[]) {
      return (await pool.query(text, params)).rows as T[];
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(clientSql(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

export function openPool(databaseUrl: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max });
}
