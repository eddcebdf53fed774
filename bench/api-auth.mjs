#!/usr/bin/env node
// API auth benchmark (issue 2). Run after `npx tsc -b`: `node bench/api-auth.mjs`.
// Authenticated `GET /api/tokens` (wh_ token) through gateway → RabbitMQ → token service → Postgres, both
// services as their own processes from dist, against a bare express hello-world (own process) measured in the
// same run with the same load: autocannon, 50 connections, 20 s each. Prints JSON
// {bare: {rps, p99}, api: {rps, p99}, ratio, rpcOnly, target}. `rpcOnly` (measured after, for reference) is the same
// ListTokens command sent straight over the broker by 50 concurrent callers: the ceiling the gateway sits on.
//
// Env: BENCH_SECONDS (20), BENCH_CONNECTIONS (50), BENCH_WARMUP_SECONDS (3), BENCH_SLICES (4: the 20 s of each
// target run as alternating 5 s slices, so a burst of background load on a shared machine hits both alike),
// BENCH_TRACING (1: both services export their spans to a local OTLP receiver, bench/otlp.mjs).
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { connectBroker } from '@wahooks/broker';
import { ListTokens } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal } from './clean-up-on-signal.mjs';
import { cpuMs, pgrep, syscalls } from './proc-stats.mjs';
import { startOtlpReceiver, TRACING } from './otlp.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const SLICES = Number(process.env.BENCH_SLICES ?? 4); // alternating bare/api slices of SECONDS / SLICES
const SECRET = `bench-secret-${randomUUID()}`;
const log = (...a) => process.stderr.write(`[bench] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = [];

/** Runs `run` and returns its result with the CPU ms and read/write calls each process group made meanwhile. */
async function measure(groups, run) {
  // Groups are functions: a pool may open connections (Postgres backends) during the run.
  const before = new Map();
  for (const pids of Object.values(groups)) for (const p of pids()) before.set(p, [cpuMs(p), syscalls(p)]);
  const result = await run();
  const usedMs = {};
  const calls = {};
  for (const [k, pids] of Object.entries(groups)) {
    usedMs[k] = 0;
    calls[k] = 0;
    for (const p of pids()) {
      const [ms, n] = before.get(p) ?? [0, 0];
      usedMs[k] += cpuMs(p) - ms;
      calls[k] += syscalls(p) - n;
    }
  }
  return { result, usedMs, calls };
}

/** Slices of one target merged: rps over the whole time, percentiles over every request of every slice. */
function merge(slices, seconds, times) {
  const requests = slices.reduce((n, s) => n + s.result.requests.total, 0);
  const cpu = {};
  const calls = {};
  for (const s of slices) for (const [k, ms] of Object.entries(s.usedMs)) cpu[k] = (cpu[k] ?? 0) + ms;
  for (const s of slices) for (const [k, n] of Object.entries(s.calls)) calls[k] = (calls[k] ?? 0) + n;
  const sorted = Float64Array.from(times).sort();
  return {
    rps: Math.round(requests / seconds),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: percentile(sorted, 1),
    non2xx: slices.reduce((n, s) => n + s.result.non2xx, 0),
    errors: slices.reduce((n, s) => n + s.result.errors + s.result.timeouts, 0),
    sliceRps: slices.map((s) => Math.round(s.result.requests.average)),
    sliceP99: slices.map((s) => s.result.latency.p99),
    cpuUsPerRequest: Object.fromEntries(Object.entries(cpu).map(([k, ms]) => [k, Math.round((ms * 1000) / requests)])),
    // Socket reads + writes per request: each one crossing processes is a wakeup, dear on a virtual machine.
    syscallsPerRequest: Object.fromEntries(
      Object.entries(calls).map(([k, n]) => [k, Number((n / requests).toFixed(2))]),
    ),
  };
}
function startService(name, env) {
  // BENCH_PROFILE=gateway (or token) writes a V8 CPU profile of that service to /tmp/wahooks-prof.
  const prof = process.env.BENCH_PROFILE === name ? ['--cpu-prof', '--cpu-prof-dir=/tmp/wahooks-prof'] : [];
  const child = spawn(process.execPath, [...prof, 'dist/main.js'], {
    cwd: path.join(root, 'services', name),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitHttp(url, timeoutMs = 30_000, ready = () => true) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok && ready(await r.json())) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
    await sleep(200);
  }
}

/**
 * One autocannon run. Every response time (ms) is also pushed to `times`, so the slices of one target can be merged
 * into exact percentiles over all their requests (autocannon reports percentiles per run only).
 */
function load(url, headers, seconds, times = []) {
  return new Promise((resolve, reject) => {
    const run = autocannon({ url, connections: CONNECTIONS, duration: seconds, headers }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
    run.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
}

/** Percentile q (0..1) of response times, in ms with one decimal. */
function percentile(sorted, q) {
  if (sorted.length === 0) return undefined;
  return Math.round(10 * sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) / 10;
}

/** The same ListTokens command straight over the broker (no HTTP, no gateway): the floor the gateway sits on. */
async function rpcLoad(broker, userId, seconds) {
  const latencies = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const t = performance.now();
        await broker.request(ListTokens, { userId });
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  return { rps: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99) };
}

async function main() {
  const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
  const env = cleanUpOnSignal(await createTestEnv('bench_api'), children);
  try {
    const bare = fork(path.join(root, 'bench/api-auth-bare.mjs'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(bare);
    const barePort = await new Promise((resolve) => bare.once('message', (m) => resolve(m.port)));

    const otlp = TRACING ? await startOtlpReceiver(children) : undefined;
    const serviceEnv = { ...env.serviceEnv, LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: otlp?.endpoint ?? '' };
    const tokenProc = startService('token', serviceEnv);
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const gatewayProc = startService('gateway', {
      ...serviceEnv,
      PORT: String(port),
      RATE_LIMIT_PER_MINUTE: '100000000',
      SUPABASE_JWT_SECRET: SECRET,
    });
    const api = `http://127.0.0.1:${port}`;
    await waitHttp(`${api}/api`);
    // Healthy is not enough: a token service that has not declared its queue yet counts as not deployed.
    await waitHttp(`${api}/api/health`, 30_000, (body) => body.checks?.services?.token?.status === 'ok');

    // A user with three tokens; the benchmark authenticates with one of them.
    const userId = randomUUID();
    const jwt = await new SignJWT({ sub: userId })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    let token;
    for (const name of ['bench', 'ci', 'deploy']) {
      const r = await fetch(`${api}/api/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (r.status !== 201) throw new Error(`token create: ${r.status} ${await r.text()}`);
      token ??= (await r.json()).token;
    }
    const headers = { authorization: `Bearer ${token}` };
    const check = await fetch(`${api}/api/tokens`, { headers });
    if (check.status !== 200) throw new Error(`GET /api/tokens: ${check.status}`);

    log(`warm-up ${WARMUP}s each`);
    await load(`http://127.0.0.1:${barePort}/api/tokens`, {}, WARMUP);
    await load(`${api}/api/tokens`, headers, WARMUP);
    // Alternating slices, so both targets see the same background load on a shared machine.
    const dbName = new URL(env.databaseUrl).pathname.slice(1);
    const bareGroups = { bare: () => [bare.pid] };
    const apiGroups = {
      gateway: () => [gatewayProc.pid],
      token: () => [tokenProc.pid],
      postgres: () => pgrep(`postgres: .* ${dbName} `),
      rabbitmq: () => pgrep('beam.smp'),
      redis: () => pgrep('redis-server'),
      ...(otlp ? { otlpReceiver: () => [otlp.child.pid] } : {}),
    };
    const slice = SECONDS / SLICES;
    const bareSlices = [];
    const apiSlices = [];
    const bareTimes = [];
    const apiTimes = [];
    for (let i = 0; i < SLICES; i++) {
      log(`slice ${i + 1}/${SLICES}: bare express, then gateway → RabbitMQ → token → Postgres, ${slice}s each`);
      bareSlices.push(
        await measure(bareGroups, () => load(`http://127.0.0.1:${barePort}/api/tokens`, {}, slice, bareTimes)),
      );
      apiSlices.push(await measure(apiGroups, () => load(`${api}/api/tokens`, headers, slice, apiTimes)));
    }
    const bareResult = merge(bareSlices, SECONDS, bareTimes);
    const apiResult = merge(apiSlices, SECONDS, apiTimes);
    const ratio = Number((apiResult.rps / bareResult.rps).toFixed(3));
    log(`reference: ListTokens RPC straight over the broker, ${CONNECTIONS} concurrent callers, ${SECONDS}s`);
    const broker = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
    const rpcResult = await rpcLoad(broker, userId, SECONDS);
    await broker.close();
    const out = {
      bare: bareResult,
      api: apiResult,
      ratio,
      rpcOnly: rpcResult,
      // Issue 15: at least half of bare express's rate, p99 at most twice bare express's p99 in the same run.
      target: {
        ratio: 0.5,
        p99OfBare: 2,
        p99Ratio: Number((apiResult.p99 / bareResult.p99).toFixed(2)),
        met: ratio >= 0.5 && apiResult.p99 <= 2 * bareResult.p99 && apiResult.non2xx === 0,
      },
      tracing: otlp ? { endpoint: otlp.endpoint, received: await otlp.counters() } : { off: true },
      connections: CONNECTIONS,
      seconds: SECONDS,
      cpus: os.cpus().length,
      loadavg: { before: loadBefore, after: os.loadavg().map((x) => Number(x.toFixed(2))) },
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await sleep(1500);
    await env.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(err.stack ?? String(err));
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  },
);
