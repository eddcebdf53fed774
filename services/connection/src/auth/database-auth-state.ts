/**
 * Baileys auth state (credentials + Signal key store) in Postgres, so any replica can resume any session.
 * Every write is one transaction or one statement (atomic), committed before it resolves (durable: Postgres'
 * default synchronous_commit; a send's key writes may resolve earlier but the send answers only after them, see
 * database-key-store.ts), and carries the owner's fencing token so a replica that lost the session cannot
 * overwrite the new owner's ratchets. Writes of one session run one after another, in call order.
 *
 * While Postgres is unreachable every read and write waits (retries with backoff) instead of failing: Baileys
 * decrypts an inbound message inside a key transaction and only then sends WhatsApp its receipt, so a failed key
 * read or write would make it nack the message (WhatsApp does not send it again: the message is lost), and a
 * failed commit would leave the ratchet in memory newer than the stored one. Waiting holds the receipt back until
 * the keys are durable; WhatsApp keeps the later messages meanwhile. `retry.cancelled` ends the wait (the
 * session was closed); other errors (a fence, a bug) fail at once.
 */
import { initAuthCreds, type AuthenticationCreds, type AuthenticationState } from '@whiskeysockets/baileys';
import { retryWhileUnavailable, type RetryWhileUnavailableOptions, type Sql } from '@wahooks/db';
import { databaseKeyStore, type DurableKeyStore } from './database-key-store.js';
import { checkFence } from './fencing.js';
import { decode, encode } from './key-codec.js';

export { decode, encode } from './key-codec.js';
export { withDeferredKeyWrites } from './database-key-store.js';

export interface DatabaseAuthState {
  state: AuthenticationState & { keys: DurableKeyStore };
  /** Persist the whole creds object (Baileys mutates it in place; the `creds.update` delta is not enough). */
  saveCreds(): Promise<void>;
  /** Delete creds and keys (logged out: 401). The in-memory state is then stale: load a fresh one. */
  wipe(): Promise<void>;
  /** True when the stored creds belong to a linked device (QR logins never set `registered`). */
  isLinked(): boolean;
}

export interface AuthStateOptions {
  /** The owner's fencing token; writes are refused once a newer owner has written. */
  fencingToken?: number;
  /** How reads and writes wait out a database outage (see the top of this file); default: until it is back. */
  retry?: RetryWhileUnavailableOptions;
}

/** Serialises async jobs: each starts after the previous one settled. */
function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job, job);
    tail = run.catch(() => undefined);
    return run;
  };
}

export async function loadCreds(sql: Sql, connectionId: string): Promise<AuthenticationCreds | undefined> {
  const rows = await sql.query<{ data: string }>('SELECT data FROM connection.auth_creds WHERE connection_id = $1', [
    connectionId,
  ]);
  return rows[0] ? decode<AuthenticationCreds>(rows[0].data) : undefined;
}

export async function useDatabaseAuthState(
  sql: Sql,
  connectionId: string,
  options: AuthStateOptions = {},
): Promise<DatabaseAuthState> {
  const { fencingToken } = options;
  const serialised = serial();
  const durably = <T>(work: () => Promise<T>) => retryWhileUnavailable(work, options.retry);
  /** A write: after the previous ones, retried (in place, so the order holds) while the database is away. */
  const inOrder = <T>(work: () => Promise<T>) => serialised(() => durably(work));
  const creds: AuthenticationCreds = (await loadCreds(sql, connectionId)) ?? initAuthCreds();

  if (fencingToken !== undefined) {
    // Claimed now, not at the first write: from here on an earlier owner can write nothing, so this owner's
    // in-memory copy of its keys (database-key-store.ts) cannot go stale.
    await durably(() => checkFence(sql, connectionId, fencingToken));
  }
  const keys = databaseKeyStore(sql, connectionId, { fencingToken, inOrder: serialised, durably });

  const saveCreds = () => {
    // Encode now, so the row reflects the creds as they were when the update fired.
    const text = encode(creds);
    return inOrder(() =>
      sql.transaction(async (tx) => {
        await checkFence(tx, connectionId, fencingToken);
        await tx.query(
          `INSERT INTO connection.auth_creds (connection_id, data, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (connection_id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
          [connectionId, text],
        );
      }),
    );
  };

  const wipe = () =>
    inOrder(() =>
      sql.transaction(async (tx) => {
        await checkFence(tx, connectionId, fencingToken);
        await tx.query('DELETE FROM connection.auth_keys WHERE connection_id = $1', [connectionId]);
        await tx.query('DELETE FROM connection.auth_creds WHERE connection_id = $1', [connectionId]);
      }),
    );

  return {
    state: { creds, keys },
    saveCreds,
    wipe,
    isLinked: () => Boolean(creds.me?.id && creds.account),
  };
}
