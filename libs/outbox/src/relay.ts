/**
 * The relay: publishes unsent outbox rows to RabbitMQ with publisher confirms, oldest first, one at a time (so
 * the events of one key reach the broker in the order they were written), and marks a row sent only after its
 * confirm. A failed publish or database error leaves the rows unsent; the relay backs off (`retryMs` doubling up
 * to `maxRetryMs`) and tries the same rows again. Delivery is at least once: a crash between a confirm and its
 * mark publishes that row again, with the same event id, which consumers dedupe on.
 *
 * Who publishes what, when several replicas run a relay on one table:
 * - shared rows (the default: every event type not listed in `partitions.eventTypes`) are relayed by every
 *   replica. Each run of them is published under its row locks (FOR UPDATE, waiting, in seq order) and marked
 *   sent in that transaction, so one replica publishes each row; waiting rather than skipping keeps the order.
 * - partitioned rows (event types in `partitions.eventTypes`) are relayed without locks, only by the replica
 *   that owns their `partition_key` (`partitions.keys()`, e.g. the sessions this replica holds; `undefined` =
 *   every key, for a single relay). The owner is the only writer and publisher of its keys.
 */
import type { Broker } from '@wahooks/broker';
import type { AnyEvent } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { withTraceParent, type Logger } from '@wahooks/telemetry';
import { lockUnsent, markSent, purgeSent, stillUnsent, unsentRows, type OutboxRow } from './rows.js';
import { defaultOutboxTable, type OutboxTable } from './table.js';
import { relayMetrics } from './metrics.js';

export interface OutboxRelayOptions {
  sql: Sql;
  broker: Pick<Broker, 'publish'>;
  logger: Logger;
  table?: OutboxTable; // default: `outbox` with `partition_key text`
  /** The contracts of the event types this outbox holds (a row of another type is retried, and logged, until fixed). */
  events: readonly AnyEvent[];
  /** AMQP headers of a row's message. */
  headers?: (row: OutboxRow) => Record<string, unknown>;
  partitions?: {
    eventTypes: readonly string[];
    /** The keys this replica owns now; read every round. `undefined` relays every key. */
    keys: () => readonly string[] | undefined;
  };
  batchSize?: number; // rows read per round (default 200)
  markEvery?: number; // confirmed partitioned rows marked sent per UPDATE (default 50): a crash re-sends at most these
  idleMs?: number; // poll interval when there is nothing to send (default 500)
  retryMs?: number; // first wait after a failure (default 1000), doubled per failure in a row
  maxRetryMs?: number; // longest wait after failures (default 10000)
  /** Delete rows sent longer ago than this, checked every `purgeEveryMs` (default: never; the caller purges). */
  purgeSentAfterMs?: number;
  purgeEveryMs?: number; // default 1 h
}

export interface OutboxRelay {
  /** Wake the relay now (call it right after committing rows; it also polls every `idleMs`). */
  kick(): void;
  /** Resolves once a round finds nothing left to publish for this relay (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
  /** Wakes the relay; true once every one of `eventIds` is published (by any replica), false after `timeoutMs`. */
  sent(eventIds: readonly string[], timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

interface SentWaiter {
  ids: readonly string[];
  done: (ok: boolean) => void;
}

export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, broker, logger, headers, partitions } = options;
  const table = options.table ?? defaultOutboxTable;
  const batchSize = options.batchSize ?? 200;
  const markEvery = options.markEvery ?? 50;
  const idleMs = options.idleMs ?? 500;
  const retryMs = options.retryMs ?? 1000;
  const maxRetryMs = Math.max(options.maxRetryMs ?? 10_000, retryMs);
  const purgeEveryMs = options.purgeEveryMs ?? 3600_000;
  const contracts = new Map(options.events.map((e) => [e.type, e]));
  const partitioned = new Set(partitions?.eventTypes ?? []);
  const partitionedTypes = [...partitioned];
  const isPartitioned = (row: OutboxRow) => partitioned.has(row.eventType);
  const metrics = relayMetrics(sql, table);

  let stopped = false;
  let wake: (() => void) | undefined;
  let pending = true; // something may be waiting: read before sleeping
  let nextPurgeAt = 0;
  const emptyWaiters: (() => void)[] = [];
  const sentWaiters = new Set<SentWaiter>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function publishRow(row: OutboxRow): Promise<void> {
    const contract = contracts.get(row.eventType);
    if (!contract) throw new Error(`outbox row ${row.seq}: no contract given for event type ${row.eventType}`);
    // The publish span continues the trace of the span that wrote the row (its parent has ended by now).
    await withTraceParent(row.traceParent, () =>
      broker.publish(contract, JSON.parse(row.body) as never, { id: row.eventId, headers: headers?.(row) }),
    );
    metrics.published.inc();
  }

  /** A run of shared rows, under their row locks; the ones published before a failure are still marked. */
  async function publishShared(rows: readonly OutboxRow[]): Promise<void> {
    let failure: unknown;
    await sql.transaction(async (tx) => {
      // The rows missing from `mine` were published by another replica meanwhile.
      const mine = await lockUnsent(
        tx,
        rows.map((r) => r.seq),
        table,
      );
      const sent: string[] = [];
      for (const row of rows) {
        if (stopped) break;
        if (!mine.has(row.seq)) continue;
        try {
          await publishRow(row);
        } catch (err) {
          failure = err;
          break;
        }
        sent.push(row.seq);
      }
      await markSent(tx, sent, table);
    });
    if (failure !== undefined) throw failure;
  }

  async function round(): Promise<boolean> {
    const keys = partitions?.keys();
    const rows = await unsentRows(sql, batchSize, keys ? { partitioned: partitionedTypes, keys } : undefined, table);
    if (rows.length === 0) return false;
    const sent: string[] = [];
    try {
      for (let i = 0; i < rows.length && !stopped;) {
        if (!isPartitioned(rows[i]!)) {
          let end = i + 1;
          while (end < rows.length && !isPartitioned(rows[end]!)) end++;
          await markSent(sql, sent.splice(0), table);
          await publishShared(rows.slice(i, end));
          i = end;
          continue;
        }
        await publishRow(rows[i]!);
        sent.push(rows[i]!.seq);
        i++;
        if (sent.length >= markEvery) await markSent(sql, sent.splice(0), table);
      }
    } finally {
      await markSent(sql, sent, table);
    }
    return true;
  }

  /** Settles the `sent()` callers whose rows are all out (one query, only while someone waits). */
  async function settleSentWaiters(): Promise<void> {
    if (sentWaiters.size === 0) return;
    const waiting = [...sentWaiters];
    const unsent = await stillUnsent(sql, [...new Set(waiting.flatMap((w) => w.ids))], table);
    for (const w of waiting) if (!w.ids.some((id) => unsent.has(id))) w.done(true);
  }

  async function housekeeping(): Promise<void> {
    if (options.purgeSentAfterMs === undefined || Date.now() < nextPurgeAt) return;
    nextPurgeAt = Date.now() + purgeEveryMs;
    const purged = await purgeSent(sql, options.purgeSentAfterMs, table);
    if (purged > 0) logger.debug({ purged }, 'outbox: purged sent rows');
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        pending = false;
        const worked = await round();
        failures = 0;
        await settleSentWaiters();
        await housekeeping();
        if (!worked && !pending) {
          emptyWaiters.splice(0).forEach((w) => w());
          await sleep(idleMs);
        }
      } catch (err) {
        if (stopped) break;
        failures++;
        metrics.failures.inc();
        const waitMs = Math.min(retryMs * 2 ** Math.min(failures - 1, 20), maxRetryMs);
        logger.warn(
          { err: err instanceof Error ? err.message : String(err), failures, retryInMs: waitMs },
          'outbox relay: publish failed; the rows stay unsent and are retried',
        );
        await settleSentWaiters().catch(() => undefined); // another replica may have published them
        await sleep(waitMs);
      }
    }
  })();

  const kick = () => {
    pending = true;
    wake?.();
  };

  return {
    kick,
    drained(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`outbox not drained within ${timeoutMs} ms`)), timeoutMs);
        emptyWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        kick();
      });
    },
    sent(eventIds, timeoutMs) {
      if (eventIds.length === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const waiter: SentWaiter = {
          ids: eventIds,
          done(ok) {
            clearTimeout(timer);
            sentWaiters.delete(waiter);
            resolve(ok);
          },
        };
        // Past the deadline, one last look: another replica may have published them while this one was stuck.
        const timer = setTimeout(() => {
          stillUnsent(sql, eventIds, table).then(
            (unsent) => waiter.done(unsent.size === 0),
            () => waiter.done(false),
          );
        }, timeoutMs);
        sentWaiters.add(waiter);
        kick();
      });
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      metrics.untrack();
      for (const w of [...sentWaiters]) w.done(false);
    },
  };
}
