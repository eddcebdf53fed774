/**
 * Prometheus metrics of the gateway (in this process, served by a /metrics server on a free port, as main.ts
 * does on METRICS_PORT) and of the real token service (a child process started from its dist/main.js with
 * METRICS_PORT=0: it logs the port it bound). The public port never answers /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startMetricsServer, type MetricsServer } from '@wahooks/metrics';
import { createTestEnv, metricValue, scrapeMetrics, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { call, startTestGateway, startTokenService, waitFor, type TokenServiceProcess } from './support.js';

let env: TestEnv;
let gw: Gateway;
let tokenService: TokenServiceProcess;
let metrics: MetricsServer;
let token = '';
const userId = randomUUID();

beforeAll(async () => {
  env = await createTestEnv('gateway-metrics');
  tokenService = await startTokenService(env);
  ({ token } = await tokenService.mint(userId));
  gw = await startTestGateway(env, { RATE_LIMIT_PER_MINUTE: '1000' });
  metrics = await startMetricsServer({ port: 0, host: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await gw?.stop(100);
  await tokenService?.stop();
  await metrics?.close();
  await env?.cleanup();
});

describe('gateway metrics', () => {
  it('the public port has no /metrics (404, counted as unmatched)', async () => {
    const r = await call(gw.url, 'GET', '/metrics');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('counts requests by method, route pattern and status, with latency histograms', async () => {
    const tokenId = randomUUID();
    for (let i = 0; i < 2; i++) expect((await call(gw.url, 'GET', '/api')).status).toBe(200);
    expect((await call(gw.url, 'GET', '/api/tokens', { token })).status).toBe(200);
    expect((await call(gw.url, 'GET', '/api/tokens')).status).toBe(401);
    const revoke = await call(gw.url, 'DELETE', `/api/tokens/${tokenId}`, { token });
    expect(revoke.status).toBeGreaterThanOrEqual(400);
    expect((await call(gw.url, 'GET', '/no/such/route')).status).toBe(404);

    const text = await scrapeMetrics(metrics.port!);
    const count = (labels: Record<string, string>) => metricValue(text, 'http_requests_total', labels);
    expect(count({ method: 'GET', route: '/api', status: '200' })).toBe(2);
    expect(count({ method: 'GET', route: '/api/tokens', status: '200' })).toBe(1);
    expect(count({ method: 'GET', route: '/api/tokens', status: '401' })).toBe(1);
    expect(count({ method: 'DELETE', route: '/api/tokens/:id', status: String(revoke.status) })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(2); // /metrics and /no/such/route
    expect(text).not.toContain(tokenId); // route patterns, never raw paths
    expect(text).not.toContain('/no/such/route');
    const histogram = 'http_request_duration_seconds';
    expect(metricValue(text, `${histogram}_count`, { method: 'GET', route: '/api', status: '200' })).toBe(2);
    expect(metricValue(text, `${histogram}_bucket`, { route: '/api', status: '200', le: '+Inf' })).toBe(2);
    expect(metricValue(text, `${histogram}_sum`, { route: '/api/tokens', status: '200' })).toBeGreaterThan(0);
    // The RPC client side of the same requests: the token lookups went to the token service and came back.
    expect(
      metricValue(text, 'broker_rpc_client_duration_seconds_count', { command: 'token.token.list', outcome: 'ok' }),
    ).toBe(1);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m); // Node's process metrics
  });
});

describe('token service metrics (its own main.ts, METRICS_PORT=0)', () => {
  it('serves /metrics on its internal port: RPC handler durations by command, outbox backlog, process metrics', async () => {
    const port = Number(/"metricsPort":(\d+)/.exec(tokenService.output())?.[1]);
    expect(port).toBeGreaterThan(0);
    // The gateway's GET /api/tokens above was one token.token.list handled there.
    await waitFor(async () => {
      const text = await scrapeMetrics(port);
      return (
        (metricValue(text, 'broker_rpc_server_duration_seconds_count', {
          command: 'token.token.list',
          outcome: 'ok',
        }) ?? 0) >= 1
      );
    });
    const text = await scrapeMetrics(port);
    expect(metricValue(text, 'broker_rpc_server_duration_seconds_count', { command: 'token.token.create' })).toBe(1);
    expect(metricValue(text, 'outbox_backlog_rows', { table: 'outbox' })).toBeGreaterThanOrEqual(0);
    expect(metricValue(text, 'broker_connected')).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    const consumedCommands = Object.keys(
      Object.fromEntries(
        [...text.matchAll(/broker_messages_consumed_total\{queue="([^"]+)"\}/g)].map((m) => [m[1], 1]),
      ),
    );
    expect(consumedCommands).toContain(`${env.namespace}token:commands`);
  });
});
