/**
 * The outbox's Prometheus metrics (served by the service's /metrics):
 * - outbox_backlog_rows{table}: rows written but not yet confirmed by the broker, counted at scrape time (one
 *   `count(*)` on the partial unsent index per scrape, capped at BACKLOG_CAP so a huge backlog stays cheap to
 *   count). Every replica reports the table's whole backlog: aggregate with max(), not sum().
 * - outbox_published_total{table}: rows this process published (confirmed).
 * - outbox_relay_failures_total{table}: relay rounds that failed (broker or database); the rows are retried.
 */
import type { Sql } from '@wahooks/db';
import { counter, gauge, type CounterCell } from '@wahooks/metrics';
import type { OutboxTable } from './table.js';

const BACKLOG_CAP = 1_000_000;
/** A count slower than this (ms) is skipped: the scrape reports the last value rather than waiting. */
const COUNT_TIMEOUT_MS = 2000;

const published = counter({
  name: 'outbox_published_total',
  help: 'Outbox rows published with a broker confirm, by table',
  labelNames: ['table'],
});
const failures = counter({
  name: 'outbox_relay_failures_total',
  help: 'Outbox relay rounds that failed (the rows stay unsent and are retried), by table',
  labelNames: ['table'],
});

interface BacklogSource {
  sql: Sql;
  table: OutboxTable;
  last?: number;
}
const sources = new Set<BacklogSource>();

async function countUnsent(source: BacklogSource): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), COUNT_TIMEOUT_MS)));
  const count = source.sql
    .query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${source.table.name} WHERE sent_at IS NULL LIMIT ${BACKLOG_CAP}) u`,
    )
    .then(([row]) => (source.last = row?.n ?? 0))
    .catch(() => source.last);
  try {
    return (await Promise.race([count, timeout])) ?? source.last;
  } finally {
    clearTimeout(timer);
  }
}

gauge({
  name: 'outbox_backlog_rows',
  help: 'Outbox rows not yet published (the whole table: aggregate replicas with max)',
  labelNames: ['table'],
  async collect() {
    this.reset();
    const byTable = new Map<string, number>();
    const counts = await Promise.all([...sources].map(async (s) => [s.table.name, await countUnsent(s)] as const));
    for (const [table, n] of counts) if (n !== undefined) byTable.set(table, Math.max(n, byTable.get(table) ?? 0));
    for (const [table, n] of byTable) this.set({ table }, n);
  },
});

export interface RelayMetrics {
  published: CounterCell;
  failures: CounterCell;
  /** Stop counting this relay's backlog (its stop()). */
  untrack(): void;
}

/** A relay's cells, and its table's backlog on the gauge while it runs. */
export function relayMetrics(sql: Sql, table: OutboxTable): RelayMetrics {
  const source: BacklogSource = { sql, table };
  sources.add(source);
  return {
    published: published.child(table.name),
    failures: failures.child(table.name),
    untrack: () => void sources.delete(source),
  };
}
