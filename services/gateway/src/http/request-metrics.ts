/**
 * Prometheus metrics of the public API, by route pattern (`/api/connections/:id`, never the raw URL: bounded
 * series), method and status:
 * - http_requests_total{method,route,status}
 * - http_request_duration_seconds{method,route,status}: from routing to the last byte written.
 * `status="aborted"` when the client went away before the answer was complete. Requests no route matched count
 * under `route="unmatched"` (their method is one of Node's known methods: the HTTP parser refuses others).
 * Served on the internal METRICS_PORT by main.ts, never on the public port.
 */
import type { RequestHandler } from 'express';
import { counter, histogram, secondsSince, type CounterCell, type HistogramCell } from '@wahooks/metrics';

const requests = counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered by the gateway, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'],
});
const durations = histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency at the gateway, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'],
});

interface Cells {
  count: CounterCell;
  seconds: HistogramCell;
}

/** A handler for the head of a route's chain (`method` given) or for unmatched requests (method read per request). */
export function requestMetrics(route: string, method?: string): RequestHandler {
  const fixedMethod = method?.toUpperCase();
  // method → status → cells, filled as statuses are first seen: a lookup per request, no allocation.
  const cells = new Map<string, Map<number, Cells>>();
  const cellsOf = (m: string, status: number): Cells => {
    let byStatus = cells.get(m);
    if (!byStatus) cells.set(m, (byStatus = new Map()));
    let c = byStatus.get(status);
    if (!c) {
      const label = status < 0 ? 'aborted' : String(status);
      byStatus.set(status, (c = { count: requests.child(m, route, label), seconds: durations.child(m, route, label) }));
    }
    return c;
  };
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      const c = cellsOf(fixedMethod ?? req.method, res.writableFinished ? res.statusCode : -1);
      c.count.inc();
      c.seconds.observe(secondsSince(started));
    });
    next();
  };
}
