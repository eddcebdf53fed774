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
