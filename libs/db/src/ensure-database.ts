/**
 * Creates the database named in a Postgres URL when it does not exist yet, through the `postgres` maintenance
 * database. Several processes may start at once: losing the CREATE DATABASE race is success.
 */
import pg from 'pg';

/** Postgres SQLSTATEs this file reacts to. */
const INVALID_CATALOG_NAME = '3D000'; // database does not exist
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505'; // concurrent CREATE DATABASE can also surface as a pg_database index clash
const OBJECT_IN_USE = '55006'; // "source database template1 is being accessed by other users"

const code = (err: unknown) => (err as { code?: string } | null)?.code;

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

async function databaseExists(url: string, connectTimeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined); // a terminated backend fails the pending call instead of crashing
  try {
    await client.connect();
    return true;
  } catch (err) {
    if (code(err) === INVALID_CATALOG_NAME) return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Returns true when this call created the database. A server that does not answer fails after `connectTimeoutMs`. */
export async function ensureDatabase(url: string, connectTimeoutMs = 10_000): Promise<boolean> {
  const name = databaseName(url);
  if (!name || (await databaseExists(url, connectTimeoutMs))) return false;
  const admin = new pg.Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: connectTimeoutMs,
  });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
        return true;
      } catch (err) {
        if (code(err) === DUPLICATE_DATABASE || code(err) === UNIQUE_VIOLATION) return false;
        if (code(err) === OBJECT_IN_USE && attempt < 10) {
          await new Promise((r) => setTimeout(r, 100 * attempt));
          continue;
        }
        throw err;
      }
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}
