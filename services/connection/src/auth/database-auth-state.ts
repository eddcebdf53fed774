/**
 * Baileys auth state (credentials + Signal key store) in Postgres, so any replica can resume any session.
 * Every write is one transaction (atomic), committed before it resolves (durable: Postgres' default
 * synchronous_commit), and carries the owner's fencing token so a replica that lost the session cannot
 * overwrite the new owner's ratchets. Writes of one session run one after another, in call order.
 *
 * While Postgres is unreachable every read and write waits (retries with backoff) instead of failing: Baileys
 * decrypts an inbound message inside a key transaction and only then sends WhatsApp its receipt, so a failed key
 * read or write would make it nack the message (WhatsApp does not send it again: the message is lost), and a
 * failed commit would leave the ratchet in memory newer than the stored one. Waiting holds the receipt back until
 * the keys are durable; WhatsApp keeps the later messages meanwhile. `retry.cancelled` ends the wait (the
 * session was closed); other errors (a fence, a bug) fail at once.
 */
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import { retryWhileUnavailable, type RetryWhileUnavailableOptions, type Sql } from '@wahooks/db';
import { checkFence } from './fencing.js';

export const encode = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
export const decode = <T = unknown>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T;

export interface DatabaseAuthState {
  state: AuthenticationState;
  /** Persist the whole creds object (Baileys mutates it in place; the `creds.update` delta is not enough). */
  saveCreds(): Promise<void>;
  /** Delete creds and keys (logged out: 401). The in-memory state is then stale: load a fresh one. */
  wipe(): Promise<void>;
  /** True when the stored creds belong to a linked device (QR logins never set `registered`). */
  isLinked(): boolean;
  /**
   * No write after this one (the session has stopped on this replica): every later `keys.set`, `keys.clear`,
   * `saveCreds` or `wipe` fails with SealedAuthStateError, so a straggler of the old socket cannot land after
   * the next owner has read the keys.
   */
  seal(): void;
}

export class SealedAuthStateError extends Error {
  constructor(connectionId: string) {
    super(`session ${connectionId}: auth state sealed (the session stopped on this replica); write refused`);
    this.name = 'SealedAuthStateError';
  }
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
  let sealed = false;
  /** A write: after the previous ones, retried (in place, so the order holds) while the database is away. */
  const inOrder = <T>(work: () => Promise<T>) =>
    sealed ? Promise.reject(new SealedAuthStateError(connectionId)) : serialised(() => durably(work));
  const creds: AuthenticationCreds = (await loadCreds(sql, connectionId)) ?? initAuthCreds();

  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      if (ids.length === 0) return out;
      const rows = await durably(() =>
        sql.query<{ id: string; data: string }>(
          'SELECT id, data FROM connection.auth_keys WHERE connection_id = $1 AND type = $2 AND id = ANY($3::text[])',
          [connectionId, type, ids],
        ),
      );
      for (const row of rows) {
        let value: unknown = decode(row.data);
        if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
        out[row.id] = value as SignalDataTypeMap[T];
      }
      return out;
    },

    async set(data: SignalDataSet) {
      const upserts: [string, string, string][] = [];
      const deletes: [string, string][] = [];
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) deletes.push([type, id]);
          else upserts.push([type, id, encode(value)]);
        }
      }
      if (upserts.length === 0 && deletes.length === 0) return;
      await inOrder(() =>
        sql.transaction(async (tx) => {
          await checkFence(tx, connectionId, fencingToken);
          if (upserts.length > 0) {
            await tx.query(
              `INSERT INTO connection.auth_keys (connection_id, type, id, data)
               SELECT $1, t, i, d FROM unnest($2::text[], $3::text[], $4::text[]) AS u(t, i, d)
               ON CONFLICT (connection_id, type, id) DO UPDATE SET data = EXCLUDED.data`,
              [connectionId, upserts.map((u) => u[0]), upserts.map((u) => u[1]), upserts.map((u) => u[2])],
            );
          }
          if (deletes.length > 0) {
            await tx.query(
              `DELETE FROM connection.auth_keys k USING unnest($2::text[], $3::text[]) AS u(t, i)
               WHERE k.connection_id = $1 AND k.type = u.t AND k.id = u.i`,
              [connectionId, deletes.map((d) => d[0]), deletes.map((d) => d[1])],
            );
          }
        }),
      );
    },

    async clear() {
      await inOrder(() =>
        sql.transaction(async (tx) => {
          await checkFence(tx, connectionId, fencingToken);
          await tx.query('DELETE FROM connection.auth_keys WHERE connection_id = $1', [connectionId]);
        }),
      );
    },
  };

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
    seal: () => void (sealed = true),
  };
}
