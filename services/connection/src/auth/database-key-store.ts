/**
 * The Signal key store of one session in `connection.auth_keys`, as cheap per send as durability allows:
 *
 * - Writes are group-committed: every `set` made while a write is running joins the next one, and each write is
 *   ONE statement (fence check, upserts and deletes together), so it is atomic and needs no BEGIN/COMMIT.
 *   A `set` resolves once its write has committed (Baileys' inbound path relies on that, see
 *   database-auth-state.ts), except inside `withDeferredKeyWrites`: there it resolves at once and the caller
 *   awaits `durable()` before it reports success (a send answers only after its ratchet is stored).
 * - With a fencing token (the session's owner) it keeps what it read and wrote in memory, absent keys included
 *   (Baileys asks for `tctoken`s most chats never have, three times per send). This is coherent because the
 *   lease makes the owner the only writer: the fence, claimed when the state is loaded, refuses every write of an
 *   earlier owner from then on. Without a token (tools, tests) every read goes to the database.
 *
 * Reads always see the latest `set`, committed or not.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { proto, type SignalDataSet, type SignalDataTypeMap, type SignalKeyStore } from '@whiskeysockets/baileys';
import type { Sql } from '@wahooks/db';
import { FencedOutError } from './fencing.js';
import { decode, encode } from './key-codec.js';

/** Keys an owner keeps in memory per session (least recently used go first); writes not yet committed stay. */
const OWNER_CACHE_ENTRIES = 5000;

export interface DurableKeyStore extends SignalKeyStore {
  /** Whether reads are served from memory (an owner with a fencing token). */
  readonly cached: boolean;
}

export interface KeyStoreOptions {
  fencingToken?: number;
  /** Runs one write after the earlier writes of this session (creds, clear, wipe share the order). */
  inOrder<T>(work: () => Promise<T>): Promise<T>;
  /** Waits out a database outage around one statement. */
  durably<T>(work: () => Promise<T>): Promise<T>;
}

interface Deferred {
  writes: Promise<void>[];
}
const deferred = new AsyncLocalStorage<Deferred>();

/**
 * Runs `work` with key writes that do not wait for their commit; `durable()` resolves once every key write
 * `work` made has committed (rejects if one failed). Call it before reporting `work`'s outcome as done.
 */
export async function withDeferredKeyWrites<T>(
  work: () => Promise<T>,
): Promise<{ value: T; durable: () => Promise<void> }> {
  const scope: Deferred = { writes: [] };
  const value = await deferred.run(scope, work);
  return { value, durable: () => Promise.all(scope.writes).then(() => undefined) };
}

interface Change {
  type: string;
  id: string;
  value: unknown; // null: delete
  text: string | null; // the value encoded when it was set
}

const keyOf = (type: string, id: string) => `${type}/${id}`; // types have no '/'

export function databaseKeyStore(sql: Sql, connectionId: string, opts: KeyStoreOptions): DurableKeyStore {
  const { fencingToken } = opts;
  const cached = fencingToken !== undefined;
  const known = new Map<string, unknown>(); // committed values (null: absent), owner only, in LRU order
  let pending = new Map<string, Change>(); // set, not yet taken by a write
  let writing = new Map<string, Change>(); // taken by the write that is running
  let next: Promise<void> | undefined; // the write that will take `pending`
  let changes = 0; // number of `set` calls so far: a read that overlapped one does not fill the cache

  const remember = (key: string, value: unknown) => {
    if (!cached) return;
    known.delete(key);
    known.set(key, value);
    if (known.size > OWNER_CACHE_ENTRIES) known.delete(known.keys().next().value as string);
  };
  const unwritten = (key: string) => pending.get(key) ?? writing.get(key);

  function write(): Promise<void> {
    if (next) return next;
    const run = opts.inOrder(async () => {
      next = undefined; // `set`s from now on go to the write after this one
      const batch = pending;
      pending = new Map();
      if (batch.size === 0) return;
      writing = batch;
      try {
        await opts.durably(() => writeChanges(sql, connectionId, fencingToken, [...batch.values()]));
        for (const [key, c] of batch) remember(key, c.value);
      } catch (err) {
        for (const key of batch.keys()) known.delete(key); // the database keeps the older value: read it again
        throw err;
      } finally {
        writing = new Map();
      }
    });
    next = run;
    return run;
  }

  return {
    cached,

    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      const missing: string[] = [];
      for (const id of ids) {
        const key = keyOf(type, id);
        const change = unwritten(key);
        const value = change ? change.value : known.get(key);
        if (change || value !== undefined) {
          if (value !== null) out[id] = value as SignalDataTypeMap[T];
          if (!change) remember(key, value);
        } else missing.push(id);
      }
      if (missing.length === 0) return out;
      const before = changes;
      const rows = await opts.durably(() =>
        sql.query<{ id: string; data: string }>(
          'SELECT id, data FROM connection.auth_keys WHERE connection_id = $1 AND type = $2 AND id = ANY($3::text[])',
          [connectionId, type, missing],
        ),
      );
      const stored = new Map(rows.map((r) => [r.id, r.data]));
      for (const id of missing) {
        const key = keyOf(type, id);
        // A `set` during the read is newer than what the read saw.
        const newer =
          before !== changes ? (unwritten(key) ?? (known.has(key) ? { value: known.get(key) } : undefined)) : undefined;
        let value: unknown;
        if (newer) value = newer.value;
        else {
          const text = stored.get(id);
          value = text === undefined ? null : decode(text);
          if (value !== null && type === 'app-state-sync-key')
            value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
          if (before === changes) remember(key, value);
        }
        if (value !== null) out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },

    async set(data: SignalDataSet) {
      let any = false;
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          const gone = value === null || value === undefined;
          pending.set(keyOf(type, id), { type, id, value: gone ? null : value, text: gone ? null : encode(value) });
          any = true;
        }
      }
      if (!any) return;
      changes++;
      const written = write();
      const scope = deferred.getStore();
      if (!scope) return written;
      written.catch(() => undefined); // reported through durable()
      scope.writes.push(written);
    },

    async clear() {
      pending = new Map();
      known.clear();
      changes++;
      await opts.inOrder(() =>
        opts.durably(() => writeChanges(sql, connectionId, fencingToken, [], { deleteAll: true })),
      );
    },
  };
}

/** One statement: claims the fence (when a token is given) and, only if it holds, applies the changes. */
async function writeChanges(
  sql: Sql,
  connectionId: string,
  token: number | undefined,
  changes: Change[],
  opts: { deleteAll?: boolean } = {},
): Promise<void> {
  const upserts = changes.filter((c) => c.text !== null);
  const deletes = changes.filter((c) => c.text === null);
  const fenced = token !== undefined;
  const guard = fenced ? 'WHERE EXISTS (SELECT 1 FROM fence)' : '';
  const params: unknown[] = [connectionId, fenced ? token : null];
  const parts: string[] = [];
  if (fenced)
    parts.push(`fence AS (
      INSERT INTO connection.session_fences (connection_id, token) VALUES ($1, $2)
      ON CONFLICT (connection_id) DO UPDATE SET token = EXCLUDED.token
        WHERE connection.session_fences.token <= EXCLUDED.token
      RETURNING token)`);
  if (opts.deleteAll)
    parts.push(
      `wipe AS (DELETE FROM connection.auth_keys WHERE connection_id = $1 ${fenced ? 'AND EXISTS (SELECT 1 FROM fence)' : ''})`,
    );
  if (deletes.length) {
    params.push(
      deletes.map((c) => c.type),
      deletes.map((c) => c.id),
    );
    parts.push(`del AS (
      DELETE FROM connection.auth_keys k USING unnest($${params.length - 1}::text[], $${params.length}::text[]) AS u(t, i)
      WHERE k.connection_id = $1 AND k.type = u.t AND k.id = u.i ${fenced ? 'AND EXISTS (SELECT 1 FROM fence)' : ''})`);
  }
  if (upserts.length) {
    params.push(
      upserts.map((c) => c.type),
      upserts.map((c) => c.id),
      upserts.map((c) => c.text),
    );
    const n = params.length;
    parts.push(`ups AS (
      INSERT INTO connection.auth_keys (connection_id, type, id, data)
      SELECT $1, t, i, d FROM unnest($${n - 2}::text[], $${n - 1}::text[], $${n}::text[]) AS u(t, i, d) ${guard}
      ON CONFLICT (connection_id, type, id) DO UPDATE SET data = EXCLUDED.data)`);
  }
  if (parts.length === 0) return;
  // $2 is referenced even without a fence, so the parameter list is always well-typed.
  const result = fenced ? 'SELECT count(*)::int AS held FROM fence' : 'SELECT 1 AS held WHERE $2::int IS NULL';
  const rows = await sql.query<{ held: number }>(`WITH ${parts.join(',\n')}\n${result}`, params);
  if (fenced && !rows[0]?.held) throw new FencedOutError(connectionId, token);
}
