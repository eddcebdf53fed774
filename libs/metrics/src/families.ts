/**
 * Counter and histogram families whose children are plain number cells. prom-client's own children build a
 * labels object and a hash string on every inc/observe; these are bound once (`family.child(...values)`) and an
 * `inc()` or `observe()` is then a few additions, no allocation, which is what a per-message hot path can afford.
 * The registry reads them at scrape time through `get()`, in prom-client's format (it formats the text).
 */
type Labels = Record<string, string | number>;

/** One series of a family at scrape time, as prom-client's registry reads a metric's `get()`. */
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

interface Snapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

function labelsOf(names: readonly string[], values: readonly string[], family: string): Labels {
  if (values.length !== names.length)
    throw new Error(`metric ${family}: expected labels [${names.join(', ')}], got ${values.length} value(s)`);
  const labels: Labels = {};
  names.forEach((n, i) => (labels[n] = values[i]!));
  return labels;
}

export class CounterCell {
  value = 0;
  constructor(readonly labels: Labels) {}
  /** `by` ≥ 0 (a counter only goes up). */
  inc(by = 1): void {
    this.value += by;
  }
}

export class CounterFamily<L extends string = string> {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, CounterCell>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {}

  /** The cell of these label values (in `labelNames` order), created once: keep it, call `inc()` on it. */
  child(...values: string[]): CounterCell {
    const key = values.join('\u0000');
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = new CounterCell(labelsOf(this.labelNames, values, this.name))));
    return cell;
  }

  get(): Promise<Snapshot> {
    const values = [...this.cells.values()].map((c) => ({ labels: c.labels, value: c.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }

  reset(): void {
    for (const c of this.cells.values()) c.value = 0;
  }
}

export class HistogramCell {
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1] (made cumulative at scrape time). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!(value >= 0)) return; // NaN or a negative duration (clock step): not a measurement
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class HistogramFamily<L extends string = string> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, HistogramCell>();
  readonly buckets: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    buckets: readonly number[],
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  child(...values: string[]): HistogramCell {
    const key = values.join('\u0000');
    let cell = this.cells.get(key);
    if (!cell)
      this.cells.set(key, (cell = new HistogramCell(labelsOf(this.labelNames, values, this.name), this.buckets)));
    return cell;
  }

  get(): Promise<Snapshot> {
    const values: Sample[] = [];
    for (const c of this.cells.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += c.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le: '+Inf' }, value: c.count });
      values.push({ metricName: `${this.name}_sum`, labels: c.labels, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: c.labels, value: c.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }

  reset(): void {
    for (const c of this.cells.values()) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}
