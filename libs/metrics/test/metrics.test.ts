import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import {
  counter,
  gauge,
  histogram,
  metricsRegistry,
  serveServiceMetrics,
  startMetricsServer,
  type MetricsServer,
} from '@wahooks/metrics';

/** GET (or another method) on 127.0.0.1:port; resolves with status, content type and body. */
function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('families', () => {
  it('a bound counter child counts; get-or-create returns the same family for the same name', async () => {
    const a = counter({ name: 'test_things_total', help: 'things', labelNames: ['kind'] });
    const b = counter({ name: 'test_things_total', help: 'things', labelNames: ['kind'] });
    expect(b).toBe(a);
    const red = a.child('red');
    red.inc();
    red.inc(2);
    a.child('blue').inc();
    expect(a.child('red')).toBe(red);
    const text = await metricsRegistry.metrics();
    expect(text).toContain('# TYPE test_things_total counter');
    expect(text).toContain('test_things_total{kind="red"} 3');
    expect(text).toContain('test_things_total{kind="blue"} 1');
  });

  it('a histogram has cumulative buckets, +Inf, sum and count', async () => {
    const h = histogram({ name: 'test_wait_seconds', help: 'waits', labelNames: ['op'], buckets: [0.1, 1] });
    const cell = h.child('read');
    for (const s of [0.05, 0.5, 0.7, 3]) cell.observe(s);
    cell.observe(Number.NaN); // ignored
    const text = await metricsRegistry.metrics();
    expect(text).toContain('# TYPE test_wait_seconds histogram');
    expect(text).toContain('test_wait_seconds_bucket{op="read",le="0.1"} 1');
    expect(text).toContain('test_wait_seconds_bucket{op="read",le="1"} 3');
    expect(text).toContain('test_wait_seconds_bucket{op="read",le="+Inf"} 4');
    expect(text).toContain('test_wait_seconds_sum{op="read"} 4.25');
    expect(text).toContain('test_wait_seconds_count{op="read"} 4');
  });

  it('refuses the wrong number of label values, and a name reused with another kind', () => {
    const c = counter({ name: 'test_pairs_total', help: 'pairs', labelNames: ['a', 'b'] });
    expect(() => c.child('only-one')).toThrow(/expected labels \[a, b\]/);
    expect(() => histogram({ name: 'test_pairs_total', help: 'pairs' })).toThrow(/another kind/);
  });

  it("a gauge's collect runs at scrape time", async () => {
    let size = 1;
    gauge({
      name: 'test_queue_size',
      help: 'size',
      collect() {
        this.set(size);
      },
    });
    expect(await metricsRegistry.metrics()).toContain('test_queue_size 1');
    size = 7;
    expect(await metricsRegistry.metrics()).toContain('test_queue_size 7');
  });
});

describe('startMetricsServer', () => {
  it('serves the registry and process metrics on GET /metrics; 404 elsewhere, 405 for other methods', async () => {
    counter({ name: 'test_served_total', help: 'served' }).child().inc(5);
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    servers.push(server);
    expect(server.port).toBeGreaterThan(0);
    const res = await get(server.port!, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('test_served_total 5');
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(res.body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect((await get(server.port!, '/metrics?x=1')).status).toBe(200);
    expect((await get(server.port!, '/')).status).toBe(404);
    expect((await get(server.port!, '/metricsx')).status).toBe(404);
    expect((await get(server.port!, '/metrics', 'POST')).status).toBe(405);
  });

  it("binds 0.0.0.0 by default (another container's Prometheus must reach it)", async () => {
    const server = await startMetricsServer({ port: 0 });
    servers.push(server);
    expect((await get(server.port!, '/metrics')).status).toBe(200); // reachable on 127.0.0.1 too
  });

  it("'off' starts nothing; close() frees the port", async () => {
    const off = await startMetricsServer({ port: 'off' });
    expect(off.port).toBeUndefined();
    await off.close();
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    await server.close();
    await expect(get(server.port!, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a taken port rejects startMetricsServer; serveServiceMetrics logs it and runs on', async () => {
    const taken = await startMetricsServer({ port: 0 });
    servers.push(taken);
    await expect(startMetricsServer({ port: taken.port! })).rejects.toThrow(/EADDRINUSE/);
    const logged: string[] = [];
    const log = { info: () => undefined, error: (_o: object, msg: string) => void logged.push(msg) };
    const metrics = await serveServiceMetrics(taken.port!, log);
    expect(metrics.port).toBeUndefined();
    expect(logged).toEqual(['METRICS_PORT unavailable: metrics not served']);
  });

  it("stopAfter(service) closes the server after the service's own stop, even when that stop fails", async () => {
    const metrics = await serveServiceMetrics(0, { info: () => undefined, error: () => undefined });
    const port = metrics.port!;
    let scrapedDuringStop = 0;
    const service = {
      stop: async () => {
        scrapedDuringStop = (await get(port, '/metrics')).status;
        throw new Error('drain failed');
      },
    };
    await expect(metrics.stopAfter(service).stop()).rejects.toThrow('drain failed');
    expect(scrapedDuringStop).toBe(200);
    await expect(get(port, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });
});
