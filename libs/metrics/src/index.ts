export { counter, collectProcessMetrics, gauge, histogram, LATENCY_BUCKETS, metricsRegistry } from './registry.js';
export type { FamilyOptions } from './registry.js';
export { CounterCell, CounterFamily, HistogramCell, HistogramFamily } from './families.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server.js';
export { serveServiceMetrics, type Stoppable } from './service.js';
export { secondsSince } from './clock.js';
