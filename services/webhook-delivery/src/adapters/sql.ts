import type { DataSource, EntityManager } from '@wahooks/db';

/**
 * Rows of a raw query. TypeORM's postgres driver returns `rows` for SELECT/INSERT but `[rows, rowCount]`
 * for UPDATE/DELETE, so every repo goes through this.
 */
export async function rows<T>(db: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return (Array.isArray(result) ? result : []) as T[];
}

interface PgPoolLike {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Hot-path statements as named (prepared) statements on the pg Pool under TypeORM (its PostgresDriver keeps it
 * in `master`): parsed and planned once per connection instead of on every batch. Falls back to `rows()`.
 */
export function preparedRows(db: DataSource) {
  const pool = (db.driver as unknown as { master?: PgPoolLike }).master;
  return async <T>(name: string, text: string, values: unknown[]): Promise<T[]> =>
    pool && typeof pool.query === 'function'
      ? ((await pool.query({ name, text, values })).rows as T[])
      : rows<T>(db, text, values);
}
