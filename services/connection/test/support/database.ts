/** The service's database opened the way service.ts opens it: schema `connection`, its migrations, `sqlOf`. */
import { closeDatabase, openDatabase, sqlOf, type DataSource, type Sql } from '@wahooks/db';
import { connectionMigrations } from '../../src/migrations/index.js';

export interface ConnectionDatabase {
  db: DataSource;
  sql: Sql;
  close(): Promise<void>;
}

export async function openConnectionDatabase(url: string): Promise<ConnectionDatabase> {
  const db = await openDatabase({ url, schema: 'connection', migrations: connectionMigrations });
  return { db, sql: sqlOf(db), close: () => closeDatabase(db) };
}
