/**
 * Keeps a service's high-churn tables vacuumed and analysed when the Postgres server does not.
 *
 * Why: autovacuum can be off on the server (this project's CI server runs with `autovacuum = off`; some managed
 * or hand-tuned servers turn it down), and per-table storage parameters cannot turn it back on. A table that
 * takes an update or a delete per unit of work then keeps every dead row version: pages run out of room for HOT
 * updates, indexes bloat, and every statement costs more the longer the service runs. Measured on webhook
 * deliveries: 2,029/s fell to ~1,150/s within 4 minutes at a steady 2,045 events/s offered, Postgres's share of
 * the CPU rising from 0.32 to 0.5 and dead tuples of `deliveries` from 47 k to 507 k.
 *
 * Every `intervalMs` the keeper reads the tables' counters (`pg_stat_user_tables`, kept by the server whether or
 * not autovacuum runs) and vacuums a table once its dead tuples reach `deadTuples` + `deadFraction` × its live
 * tuples (autovacuum's own formula, with tighter defaults), adding ANALYZE once the rows changed since the last
 * analyse reach the same share, so the planner's statistics follow the table too.
 *
 * `mode` 'auto' (the default) vacuums only while the server's `autovacuum` is off, 'on' always, 'off' never.
 * Replicas of one service take turns per table: a session advisory lock, tried and never waited for, so only one
 * of them vacuums a table at a time. The VACUUM runs on a connection of its own (no slot of the service's pool)
 * with a short `lock_timeout`, so it never queues behind (or in front of) a migration's lock.
 */
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { sqlOf } from './sql.js';
import type { DbLogger } from './typeorm-logger.js';

export type VacuumMode = 'auto' | 'on' | 'off';

export interface VacuumKeeperOptions {
  /** Tables of the service's own schema (unqualified names), e.g. `['deliveries', 'outbox']`. */
  tables: string[];
  /** Default 'auto': only while the server's `autovacuum` setting is off. */
  mode?: VacuumMode;
  /** How often the counters are read, ms (default 5 000). */
  intervalMs?: number;
  /** Dead tuples that always trigger a vacuum (default 5 000). */
  deadTuples?: number;
  /** Plus this share of the live tuples (default 0.05; autovacuum's default is 0.2). */
  deadFraction?: number;
  logger?: DbLogger;
}

export interface VacuumPass {
  table: string;
  analysed: boolean;
  deadBefore: number;
  ms: number;
}

export interface VacuumKeeper {
  /** Whether this keeper vacuums at all (mode, and for 'auto' the server's setting, read once it answers). */
  active(): Promise<boolean>;
  /** Runs one check now (the timer's work), resolving with the tables it vacuumed. */
  runOnce(): Promise<VacuumPass[]>;
  /** Stops the timer and waits for a VACUUM in progress (cancelled after 10 s). */
  stop(): Promise<void>;
}

interface TableCounters {
  relname: string;
  n_dead_tup: string;
  n_live_tup: string;
  n_mod_since_analyze: string;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const STOP_WAIT_MS = 10_000;

export function startVacuumKeeper(dataSource: DataSource, options: VacuumKeeperOptions): VacuumKeeper {
  for (const t of options.tables) if (!IDENT.test(t)) throw new Error(`startVacuumKeeper: invalid table "${t}"`);
  const sql = sqlOf(dataSource);
  const schema = String((dataSource.options as { schema?: string }).schema ?? 'public');
  const url = (dataSource.options as { url?: string }).url;
  if (!url) throw new Error('startVacuumKeeper: the DataSource was not opened with a url');
  const mode = options.mode ?? 'auto';
  const intervalMs = options.intervalMs ?? 5_000;
  const deadTuples = options.deadTuples ?? 5_000;
  const deadFraction = options.deadFraction ?? 0.05;
  const log = options.logger;

  let serverVacuums: boolean | undefined; // the server's `autovacuum`, once read
  async function active(): Promise<boolean> {
    if (mode !== 'auto') return mode === 'on';
    if (serverVacuums === undefined) {
      const [row] = await sql.query<{ on: boolean }>(`SELECT current_setting('autovacuum')::boolean AS on`);
      serverVacuums = row!.on;
      if (!serverVacuums) {
        log?.info({ schema, tables: options.tables }, 'server autovacuum is off: the service vacuums its tables');
      }
    }
    return !serverVacuums;
  }

  let stopped = false;
  let running: Promise<VacuumPass[]> | undefined;
  let vacuumPid: number | undefined; // the backend of a VACUUM in progress, to cancel it on stop

  const due = (c: TableCounters) => {
    const live = Number(c.n_live_tup);
    const threshold = deadTuples + deadFraction * live;
    return { vacuum: Number(c.n_dead_tup) >= threshold, analyse: Number(c.n_mod_since_analyze) >= threshold };
  };

  async function pass(): Promise<VacuumPass[]> {
    if (!(await active())) return [];
    const counters = await sql.query<TableCounters>(
      `SELECT relname, n_dead_tup, n_live_tup, n_mod_since_analyze FROM pg_stat_user_tables
        WHERE schemaname = $1 AND relname = ANY ($2::text[])`,
      [schema, options.tables],
    );
    const todo = counters.filter((c) => due(c).vacuum);
    if (todo.length === 0 || stopped) return [];
    const client = new pg.Client({
      connectionString: url,
      application_name: `wahooks-${schema}-vacuum`,
      connectionTimeoutMillis: 10_000, // an unreachable server fails this pass; the next one tries again
    });
    client.on('error', () => undefined); // a terminated backend fails the next query; it must not crash us
    await client.connect();
    const done: VacuumPass[] = [];
    try {
      vacuumPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await client.query(`SET lock_timeout = '1s'`);
      for (const c of todo) {
        if (stopped) break;
        const lockKey = `wahooks:vacuum:${schema}.${c.relname}`;
        const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [lockKey]);
        if (!got.rows[0]!.ok) continue; // another replica is on it
        try {
          const analyse = due(c).analyse;
          const started = performance.now();
          await client.query(`VACUUM (${analyse ? 'ANALYZE, ' : ''}SKIP_LOCKED) "${schema}"."${c.relname}"`);
          const passDone = {
            table: c.relname,
            analysed: analyse,
            deadBefore: Number(c.n_dead_tup),
            ms: Math.round(performance.now() - started),
          };
          done.push(passDone);
          log?.debug({ schema, ...passDone }, 'vacuumed');
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
        }
      }
    } finally {
      vacuumPid = undefined;
      await client.end().catch(() => undefined);
    }
    return done;
  }

  function runOnce(): Promise<VacuumPass[]> {
    if (!running) {
      running = pass().finally(() => {
        running = undefined;
      });
    }
    return running;
  }

  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      runOnce()
        .catch((err: unknown) => log?.warn({ err, schema }, 'vacuum keeper: pass failed; next one as scheduled'))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  if (mode !== 'off') schedule();

  return {
    active,
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const inFlight = running;
      if (!inFlight) return;
      const slow = setTimeout(() => {
        if (vacuumPid !== undefined) {
          void sql.query('SELECT pg_cancel_backend($1)', [vacuumPid]).catch(() => undefined);
        }
      }, STOP_WAIT_MS);
      await inFlight.catch(() => undefined);
      clearTimeout(slow);
    },
  };
}
