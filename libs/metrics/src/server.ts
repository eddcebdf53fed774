/**
 * The internal `/metrics` endpoint: Prometheus text of the process registry on its own port (METRICS_PORT),
 * never on a public API port. node:http, no framework: one route. Binds 0.0.0.0 by default so Prometheus in
 * another container can scrape it; the port must then not be published outside the private network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectProcessMetrics, metricsRegistry } from './registry.js';

export interface MetricsServerOptions {
  /** TCP port; 0 = any free port (tests); 'off' = no server (the registry still counts). */
  port: number | 'off';
  host?: string; // default 0.0.0.0
  /** Node's process metrics (default true). */
  processMetrics?: boolean;
}

export interface MetricsServer {
  /** The bound port; undefined when off. */
  port: number | undefined;
  close(): Promise<void>;
}

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: see /metrics\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET /metrics\n');
    return;
  }
  try {
    const body = await metricsRegistry.metrics();
    res.writeHead(200, { 'content-type': metricsRegistry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${String(err)}\n`);
  }
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { port } = options;
  if (port === 'off') return { port: undefined, close: () => Promise.resolve() };
  if (options.processMetrics !== false) collectProcessMetrics();
  const server = createServer((req, res) => void answer(req, res));
  server.keepAliveTimeout = 65_000; // longer than Prometheus' scrape interval: one connection per scraper
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref(); // the metrics endpoint alone never keeps a process alive
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
