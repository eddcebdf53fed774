/**
 * The process's one metrics registry. Every library and service registers its metrics here (get-or-create by
 * name, so a module loaded twice, or two instances of a service in one test process, share one metric), and the
 * `/metrics` server (server.ts) serves it. Not prom-client's global `register`: a dependency that registers
 * there does not end up on our page by accident.
 */
import { collectDefaultMetrics, Gauge, Registry, type GaugeConfiguration } from 'prom-client';
import { CounterFamily, HistogramFamily } from './families.js';

export const metricsRegistry = new Registry();

/** Counter or histogram family of `name`, created on first use; a name reused with another kind is a bug. */
function getOrCreate<T>(name: string, kind: abstract new (...args: never[]) => T, create: () => T): T {
  const existing = metricsRegistry.getSingleMetric(name) as unknown;
  if (existing === undefined) {
    const made = create();
    metricsRegistry.registerMetric(made as never);
    return made;
  }
  if (!(existing instanceof kind)) throw new Error(`metric ${name} is already registered as another kind`);
  return existing;
}

export interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** A counter family (hot paths: bind a child once, `child.inc()` allocates nothing). */
export function counter<L extends string = never>(options: FamilyOptions<L>): CounterFamily<L> {
  return getOrCreate(
    options.name,
    CounterFamily,
    () => new CounterFamily<L>(options.name, options.help, options.labelNames ?? []),
  ) as CounterFamily<L>;
}

/** A histogram family; `buckets` are upper bounds in the metric's unit (seconds for `_seconds`). */
export function histogram<L extends string = never>(
  options: FamilyOptions<L> & { buckets?: readonly number[] },
): HistogramFamily<L> {
  return getOrCreate(
    options.name,
    HistogramFamily,
    () =>
      new HistogramFamily<L>(options.name, options.help, options.labelNames ?? [], options.buckets ?? LATENCY_BUCKETS),
  ) as HistogramFamily<L>;
}

/**
 * A gauge: prom-client's own (its `collect()` runs at scrape time, the place to read a size or run a count, so
 * nothing is paid between scrapes).
 */
export function gauge<L extends string = never>(options: GaugeConfiguration<L>): Gauge<L> {
  return getOrCreate(options.name, Gauge, () => new Gauge({ ...options, registers: [] })) as Gauge<L>;
}

/** Seconds, from 1 ms to 30 s: RPCs and HTTP requests (ms) up to webhook attempts near their 15 s deadline. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30,
];

let defaultsOn = false;

/** Node's process metrics (CPU, memory, event-loop lag, GC, handles), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}
