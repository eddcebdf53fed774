#!/usr/bin/env node
// Webhook delivery benchmark (issues 5, 15). Run after `npx tsc -b`: `node bench/webhooks.mjs`.
// events published to the broker -> fan-out -> signed POSTs to a local receiver (own process), deliveries and
// attempts persisted; the service runs as its own process from dist. The raw ceiling (got POSTing the same
// bodies at the same concurrency to the same receiver) is measured in the same run. Every phase prints the CPU
// µs per delivery of each process involved (service, its Postgres backends, RabbitMQ, receiver) and their sum,
// next to the raw baseline's (got client + receiver), from /proc (bench/proc-stats.mjs). Prints JSON.
//
// Options (flag or env): --duration=<s> / BENCH_SECONDS (60) throughput window; --rate-fraction=<f> /
// BENCH_RATE_FRACTION (1.0: offered rate = f × the raw ceiling) or BENCH_RATE (a fixed events/s);
// --latency-fraction=<f> / BENCH_LATENCY_FRACTION (0.4) or BENCH_LATENCY_RATE; --sustain=<s> / BENCH_SUSTAIN
// (0 = off): a sustained phase at --sustain-fraction / BENCH_SUSTAIN_FRACTION (0.6) of the ceiling (or
// BENCH_SUSTAIN_RATE events/s, to repeat another run's rates in an A/B pair), sampled
// every --interval / BENCH_INTERVAL (60) s: rate, CPU µs per delivery and Postgres's share per interval, and
// the slope of each over the run. BENCH_CONCURRENCY (64), BENCH_SKIP_THROUGHPUT|LATENCY|FAILURES=1,
// BENCH_TRACING=1 (the service exports its spans to a local OTLP receiver, bench/otlp.mjs; phases 1–3),
// BENCH_SERVICE_DIST (another build of the service, for A/B runs; default the package's dist), DB_VACUUM (the
// service's own vacuum: auto|on|off, passed through; the JSON's `postgres` says whether it ran).
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import got from 'got';
import { connectBroker } from '@wahooks/broker';
import { ConnectionCreated, CreateWebhook, ListWebhooks, WhatsAppEvent } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal, trackChild } from './clean-up-on-signal.mjs';
import pg from 'pg';
import { cpuMeter, perUnit } from './proc-stats.mjs';
import { startOtlpReceiver, TRACING } from './otlp.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.slice(2).split('=')),
);
const opt = (flag, envName, dflt) => flags[flag] ?? process.env[envName] ?? dflt;
const SECONDS = Number(opt('duration', 'BENCH_SECONDS', 60));
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : null; // fixed rate, else a fraction
const RATE_FRACTION = Number(opt('rate-fraction', 'BENCH_RATE_FRACTION', 1));
const LATENCY_RATE = process.env.BENCH_LATENCY_RATE ? Number(process.env.BENCH_LATENCY_RATE) : null;
const LATENCY_FRACTION = Number(opt('latency-fraction', 'BENCH_LATENCY_FRACTION', 0.4));
const SUSTAIN = Number(opt('sustain', 'BENCH_SUSTAIN', 0));
const SUSTAIN_FRACTION = Number(opt('sustain-fraction', 'BENCH_SUSTAIN_FRACTION', 0.6));
const INTERVAL = Number(opt('interval', 'BENCH_INTERVAL', 60));
const SUSTAIN_RATE = process.env.BENCH_SUSTAIN_RATE ? Number(process.env.BENCH_SUSTAIN_RATE) : null; // A/B runs
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const log = (...a) => process.stderr.write(`[bench] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function startReceiver(failRate = 0) {
  const child = fork(path.join(root, 'bench/webhooks-receiver.mjs'), [], {
    env: { ...process.env, FAIL_RATE: String(failRate) },
  });
  return new Promise((resolve) => {
    child.once('message', ({ port }) => {
      const stats = (reset = false, light = false) =>
        new Promise((r) => {
          child.once('message', (m) => r(m.stats));
          child.send({ cmd: 'stats', reset, light });
        });
      const close = () => child.send({ cmd: 'exit' });
      resolve({ pid: child.pid, port, url: `http://127.0.0.1:${port}/hook`, stats, close });
    });
  });
}

function startService(env, extra) {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      path.join(process.env.BENCH_SERVICE_DIST ?? path.join(root, 'services/webhook-delivery/dist'), 'main.js'),
    ],
    {
      env: {
        PATH: process.env.PATH,
        ...env.serviceEnv,
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
        ...extra,
        // WEBHOOK_* variables of the bench's own environment override (tuning experiments).
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WEBHOOK_'))),
        ...(process.env.DB_VACUUM ? { DB_VACUUM: process.env.DB_VACUUM } : {}), // A/B: off = no vacuum at all
      },
      stdio: ['ignore', 2, 2], // its logs on our stderr: stdout is the JSON result
    },
  );
  trackChild(child); // killed before the namespace is deleted if a signal ends the bench
  return { child, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

async function setupConnection(client, url) {
  const connectionId = randomUUID();
  const userId = randomUUID();
  for (let i = 0; ; i++) {
    try {
      if (i % 10 === 0) await client.publish(ConnectionCreated, { connectionId, userId });
      await client.request(ListWebhooks, { userId, connectionId });
      break;
    } catch (err) {
      if (i > 400) throw err;
      await sleep(50);
    }
  }
  await client.request(CreateWebhook, { userId, connectionId, url, events: ['*'] });
  return { connectionId, userId };
}

let seq = 0;
const makeEvent = (c) => ({
  id: `evt_${Date.now().toString(36)}${(seq++).toString(36).padStart(6, '0')}`,
  timestamp: Date.now(),
  event: 'message',
  session: 'default',
  connectionId: c.connectionId,
  userId: c.userId,
  me: { id: '15551234567@c.us', pushName: 'Bench' },
  payload: {
    id: 'false_1555@c.us_ABC',
    from: '15557654321@c.us',
    body: 'hello from the benchmark '.repeat(4),
    hasMedia: false,
  },
  engine: 'NOWEB',
  environment: { version: '2025.1.0', engine: 'NOWEB', tier: 'CORE', browser: null },
});

/** Open-loop publisher: `rate` events/s for `seconds`, in 10 ms ticks. Returns the achieved publish rate. */
async function publishAt(client, c, rate, seconds, progress = {}) {
  const started = Date.now();
  let sent = 0;
  const inflight = new Set();
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (sent < due && inflight.size < 5000) {
      const e = makeEvent(c);
      const p = client.publish(WhatsAppEvent, e, { id: e.id }).finally(() => inflight.delete(p));
      inflight.add(p);
      sent++;
    }
    progress.sent = sent;
    await sleep(10);
  }
  await Promise.all(inflight);
  return { sent, publishRate: Math.round(sent / ((Date.now() - started) / 1000)) };
}

async function waitDelivered(rx, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await rx.stats();
    if (s.unique >= n || Date.now() > deadline) return s;
    await sleep(250);
  }
}

/** got POSTing the same bodies, same keep-alive/timeout settings, `concurrency` workers, `seconds` long. */
async function rawCeiling(url, concurrency, seconds) {
  const client = got.extend({
    agent: { http: new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }) },
    timeout: { request: 15000 },
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
  });
  const body = JSON.stringify({
    ...makeEvent({ connectionId: randomUUID(), userId: randomUUID() }),
    userId: undefined,
  });
  const headers = {
    'content-type': 'application/json',
    'webhook-id': 'evt_raw',
    'x-wahooks-signature': 'sha256=' + '0'.repeat(64),
  };
  let n = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await client.post(url, { body, headers });
        n++;
      }
    }),
  );
  return n;
}

const SERVICE_SUM = ['service', 'postgres', 'rabbitmq', 'receiver'];
const RAW_SUM = ['gotClient', 'receiver'];

/** The service side's process groups: service, its database's backends (and autovacuum), RabbitMQ, receiver. */
function serviceGroups(env, svc, rx) {
  const dbName = new URL(env.databaseUrl).pathname.slice(1);
  return {
    service: [svc.child.pid],
    postgres: new RegExp(`^postgres: .* ${dbName}( |$)`), // its backends and autovacuum workers
    rabbitmq: /beam\.smp .*-s rabbit boot/, // the server, not a rabbitmqctl's short-lived VM
    receiver: [rx.pid],
    publisher: [process.pid], // the bench's event source: shown, not in the sum
    postgresShared: /^postgres: .*(walwriter|checkpointer|background writer)/, // every database's
  };
}

/** Postgres work counters of this database: transactions and the deliveries/pending tables' row changes. */
async function pgCounters(env) {
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  try {
    const x = await db.query(
      'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    const t = await db.query(
      `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, n_dead_tup, n_live_tup, autovacuum_count, vacuum_count,
              pg_total_relation_size(relid) AS bytes
       FROM pg_stat_user_tables WHERE schemaname = 'webhook_delivery'`,
    );
    const tables = Object.fromEntries(
      t.rows.map((r) => [
        r.relname,
        Object.fromEntries(
          Object.entries(r)
            .filter(([k]) => k !== 'relname')
            .map(([k, v]) => [k, Number(v)]),
        ),
      ]),
    );
    return { xactCommit: Number(x.rows[0].n), tables };
  } finally {
    await db.end();
  }
}

/** What Postgres did per delivery between two `pgCounters`: commits, and for each table inserts/updates/HOT share. */
function pgPerDelivery(a, b, delivered) {
  const per = (n) => (delivered > 0 ? Math.round((100 * n) / delivered) / 100 : null);
  const tables = {};
  for (const [name, t] of Object.entries(b.tables)) {
    const t0 = a.tables[name] ?? {};
    const d = (k) => t[k] - (t0[k] ?? 0);
    if (d('n_tup_ins') + d('n_tup_upd') + d('n_tup_del') === 0) continue;
    tables[name] = {
      insertsPerDelivery: per(d('n_tup_ins')),
      updatesPerDelivery: per(d('n_tup_upd')),
      hotShareOfUpdates: d('n_tup_upd') > 0 ? Math.round((100 * d('n_tup_hot_upd')) / d('n_tup_upd')) / 100 : null,
      deletesPerDelivery: per(d('n_tup_del')),
      deadTuplesAtEnd: t.n_dead_tup,
      liveTuplesAtEnd: t.n_live_tup,
      autovacuums: d('autovacuum_count'),
      serviceVacuums: d('vacuum_count'), // the service's own (DB_VACUUM), while the server's autovacuum is off
      mbAtEnd: Math.round(t.bytes / 1e5) / 10,
    };
  }
  return { commitsPerDelivery: per(b.xactCommit - a.xactCommit), tables };
}

/** Least-squares slope of ys over their index (per interval), and as a fraction of their mean. */
function slope(ys) {
  const pts = ys.map((y, i) => [i, y]).filter(([, y]) => y !== null && Number.isFinite(y));
  if (pts.length < 2) return null;
  const n = pts.length;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  const b = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return { perInterval: Math.round(b * 100) / 100, ofMeanPerInterval: my ? Math.round((1e4 * b) / my) / 1e4 : null };
}

/** Where the time went, per hop, for events published after `sinceMs`: p50/p90/p99 in ms. */
async function stageBreakdown(env, sinceMs) {
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  try {
    const r = await db.query(
      `WITH x AS (
         SELECT extract(epoch FROM e.created_at) * 1000 - (e.body::json->>'timestamp')::bigint AS fanout_ms,
                extract(epoch FROM a.started_at - d.created_at) * 1000 AS task_ms, a.duration_ms AS http_ms
         FROM webhook_delivery.events e JOIN webhook_delivery.deliveries d ON d.event_id = e.id
         JOIN webhook_delivery.attempts a ON a.delivery_id = d.id AND a.attempt = 1
         WHERE (e.body::json->>'timestamp')::bigint >= $1)
       SELECT percentile_disc(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY fanout_ms) AS fanout,
              percentile_disc(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY task_ms) AS task,
              percentile_disc(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY http_ms) AS http FROM x`,
      [sinceMs],
    );
    const fmt = (a) => (a ? { p50: Math.round(a[0]), p90: Math.round(a[1]), p99: Math.round(a[2]) } : null);
    return {
      publishToFanOutInsert: fmt(r.rows[0].fanout), // event queue (broker) + fan-out batch
      deliveryRowToAttemptStart: fmt(r.rows[0].task), // task publish + attempt queue + load
      attemptHttp: fmt(r.rows[0].http),
    };
  } finally {
    await db.end();
  }
}

async function dbCounts(env) {
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  try {
    const d = await db.query('SELECT status, count(*)::int AS n FROM webhook_delivery.deliveries GROUP BY status');
    const a = await db.query(
      `SELECT count(*)::int AS n, percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99 FROM webhook_delivery.attempts`,
    );
    return {
      deliveries: Object.fromEntries(d.rows.map((r) => [r.status, r.n])),
      attempts: a.rows[0].n,
      attemptDurationMs: { p50: a.rows[0].p50, p99: a.rows[0].p99 },
    };
  } finally {
    await db.end();
  }
}

/**
 * SUSTAIN seconds at SUSTAIN_FRACTION of the ceiling, sampled every INTERVAL seconds: delivered/s, backlog,
 * CPU µs per delivery per process, Postgres's share of the summed CPU, the deliveries table's dead tuples.
 * A downward trend shows as a negative rate slope or a positive Postgres slope.
 */
async function sustained(env, client, c, rx, groups, results, cpuOf) {
  const rate = SUSTAIN_RATE ?? Math.round(SUSTAIN_FRACTION * results.rawCeilingPerSec);
  log(`sustained: ${rate}/s for ${SUSTAIN} s, sampled every ${INTERVAL} s…`);
  await rx.stats(true, true); // counts from 0 from here
  const meter = cpuMeter(groups);
  meter.lap();
  const progress = { sent: 0 };
  let pgPrev = await pgCounters(env);
  let deliveredPrev = 0;
  let tPrev = Date.now();
  const samples = [];
  const sample = async () => {
    const used = meter.lap();
    const delivered = (await rx.stats(false, true)).unique;
    const pgNow = await pgCounters(env);
    const n = delivered - deliveredPrev;
    const { cpuUsPerDelivery, cpuRatioToRaw } = cpuOf(used, n);
    const summed = SERVICE_SUM.reduce((a, k) => a + used[k], 0);
    const d = pgPerDelivery(pgPrev, pgNow, n);
    samples.push({
      atSecond: Math.round((Date.now() - t0) / 1000),
      deliveredPerSec: Math.round((1000 * n) / (Date.now() - tPrev)),
      backlog: progress.sent - delivered,
      cpuUsPerDelivery,
      cpuRatioToRaw,
      postgresShareOfCpu: summed ? Math.round((100 * used.postgres) / summed) / 100 : null,
      commitsPerDelivery: d.commitsPerDelivery,
      deliveries: d.tables.deliveries ?? null,
      pending: d.tables.pending_deliveries ?? null,
    });
    log(JSON.stringify(samples.at(-1)));
    [pgPrev, deliveredPrev, tPrev] = [pgNow, delivered, Date.now()];
  };
  const t0 = Date.now();
  let sampling = Promise.resolve();
  const timer = setInterval(() => (sampling = sampling.then(sample)), INTERVAL * 1000);
  const pub = await publishAt(client, c, rate, SUSTAIN, progress);
  clearInterval(timer);
  await sampling;
  if (Date.now() - tPrev >= (INTERVAL * 1000) / 2) await sample(); // the last interval, cut by the end
  const s = await waitDelivered(rx, pub.sent, 300_000);
  meter.stop();
  const pick = (k) => samples.map((x) => x[k]);
  return {
    ratePerSec: rate,
    ofCeiling: Math.round((100 * rate) / results.rawCeilingPerSec) / 100,
    seconds: SUSTAIN,
    intervalSeconds: INTERVAL,
    published: pub.sent,
    delivered: s.unique,
    samples,
    slopes: {
      deliveredPerSec: slope(pick('deliveredPerSec')),
      backlog: slope(pick('backlog')),
      postgresCpuUsPerDelivery: slope(samples.map((x) => x.cpuUsPerDelivery.postgres)),
      postgresShareOfCpu: slope(pick('postgresShareOfCpu')),
      sumCpuUsPerDelivery: slope(samples.map((x) => x.cpuUsPerDelivery.sum)),
    },
  };
}

/** The server's autovacuum setting, and who vacuums the service's tables (DB_VACUUM, default auto). */
async function serverVacuumSettings(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const on = (await db.query(`SELECT current_setting('autovacuum') AS v`)).rows[0].v === 'on';
    const mode = process.env.DB_VACUUM || 'auto';
    const byService = mode === 'on' || (mode === 'auto' && !on);
    return { autovacuum: on, serviceVacuums: byService ? `yes (DB_VACUUM=${mode})` : `no (DB_VACUUM=${mode})` };
  } finally {
    await db.end();
  }
}

async function main() {
  const results = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    concurrency: CONCURRENCY,
  };

  // 1. Raw ceiling, throughput, latency, sustained (fresh database and namespace).
  {
    const env = cleanUpOnSignal(await createTestEnv('bench_wh'));
    const rx = await startReceiver();
    const otlp = TRACING ? await startOtlpReceiver([]) : undefined; // tracing on: spans to a local receiver
    const svc = startService(env, {
      WEBHOOK_RETRY_SCHEDULE: '5s,10s,20s,40s',
      ...(otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint } : {}),
    });
    const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
    const groups = { ...serviceGroups(env, svc, rx), ...(otlp ? { otlpReceiver: [otlp.child.pid] } : {}) };
    try {
      results.postgres = await serverVacuumSettings(env.databaseUrl);
      const c = await setupConnection(client, rx.url);
      log('raw ceiling (2 s warm-up, 10 s)…');
      await rawCeiling(rx.url, CONCURRENCY, 2); // JIT and sockets warm before the measured window
      const rawMeter = cpuMeter({ gotClient: [process.pid], receiver: [rx.pid] });
      const rawN = await rawCeiling(rx.url, CONCURRENCY, 10);
      const rawCpu = rawMeter.read();
      rawMeter.stop();
      results.rawCeilingPerSec = Math.round(rawN / 10);
      results.rawCpuUsPerRequest = perUnit(rawCpu, rawN, RAW_SUM);
      log(JSON.stringify({ rawCeilingPerSec: results.rawCeilingPerSec, cpuUs: results.rawCpuUsPerRequest }));
      await rx.stats(true);
      /** One phase's CPU µs per delivery and its ratio to the raw baseline's sum (same run). */
      const cpuOf = (usedMs, delivered) => {
        const cpuUsPerDelivery = perUnit(usedMs, delivered, SERVICE_SUM);
        const ratio = Math.round((100 * cpuUsPerDelivery.sum) / results.rawCpuUsPerRequest.sum) / 100;
        return { cpuUsPerDelivery, cpuRatioToRaw: ratio };
      };

      if (!process.env.BENCH_SKIP_THROUGHPUT) {
        const rate = RATE ?? Math.round(RATE_FRACTION * results.rawCeilingPerSec);
        log(`throughput: offering ${rate}/s for ${SECONDS} s…`);
        const pg0 = await pgCounters(env);
        const meter = cpuMeter(groups);
        const t0 = Date.now();
        const pub = await publishAt(client, c, rate, SECONDS);
        const s = await waitDelivered(rx, pub.sent, 300_000);
        const tEnd = Date.now();
        const used = meter.read();
        meter.stop();
        const inWindow = s.perSecond
          .filter(([sec]) => sec * 1000 >= t0 && sec * 1000 < t0 + SECONDS * 1000)
          .reduce((a, [, n]) => a + n, 0);
        results.throughput = {
          offeredPerSec: rate,
          published: pub.sent,
          publishRatePerSec: pub.publishRate,
          delivered: s.unique,
          deliveredPerSecDuringWindow: Math.round(inWindow / SECONDS),
          deliveredPerSecOverall: Math.round(s.unique / ((tEnd - t0) / 1000)),
          drainSecondsAfterWindow: Math.round((tEnd - t0) / 100) / 10 - SECONDS,
          latencyMs: { p50: pct(s.latencies, 50), p99: pct(s.latencies, 99), max: pct(s.latencies, 100) },
          ofCeiling: Math.round((100 * inWindow) / SECONDS / results.rawCeilingPerSec) / 100,
          ...cpuOf(used, s.unique), // publish start to the last delivery
          postgres: pgPerDelivery(pg0, await pgCounters(env), s.unique),
          db: await dbCounts(env),
        };
        log(JSON.stringify(results.throughput));
      }

      // 2. Latency at a moderate rate.
      // The latency phase needs an empty pipeline: skip it when the throughput phase left a backlog.
      const drained = !results.throughput || results.throughput.delivered >= results.throughput.published;
      if (!drained) results.latency = { skipped: 'throughput backlog not drained within 300 s' };
      if (!process.env.BENCH_SKIP_LATENCY && drained) {
        const rate = LATENCY_RATE ?? Math.round(LATENCY_FRACTION * results.rawCeilingPerSec);
        await rx.stats(true);
        log(`latency: ${rate}/s for 20 s…`);
        const meter = cpuMeter(groups);
        const latencyStart = Date.now();
        const lp = await publishAt(client, c, rate, 20);
        const ls = await waitDelivered(rx, lp.sent, 60_000);
        const used = meter.read();
        meter.stop();
        results.latency = {
          ratePerSec: rate,
          ofCeiling: Math.round((100 * rate) / results.rawCeilingPerSec) / 100,
          published: lp.sent,
          delivered: ls.unique,
          p50: pct(ls.latencies, 50),
          p90: pct(ls.latencies, 90),
          p99: pct(ls.latencies, 99),
          max: pct(ls.latencies, 100),
          ...cpuOf(used, ls.unique),
          stagesMs: await stageBreakdown(env, latencyStart),
        };
        log(JSON.stringify(results.latency));
      }

      // 3. Sustained: a fixed fraction of the ceiling for a long time; per interval, is anything sagging?
      if (SUSTAIN > 0 && drained) results.sustained = await sustained(env, client, c, rx, groups, results, cpuOf);
    } finally {
      await client.close();
      await svc.stop();
      rx.close();
      if (otlp) results.tracing = { endpoint: otlp.endpoint, received: await otlp.counters() };
      otlp?.child.kill('SIGTERM');
      if (!process.env.BENCH_KEEP) await env.cleanup();
    }
  }

  // 4. 30% of answers are 500s: everything still delivered within the ladder (10 attempts: 0.3^10 ≈ 6e-6).
  if (!process.env.BENCH_SKIP_FAILURES) {
    const env = cleanUpOnSignal(await createTestEnv('bench_wh_fail'));
    const rx = await startReceiver(0.3);
    const svc = startService(env, {
      WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s',
      WEBHOOK_RETRY_JITTER: '0.2',
    });
    const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
    try {
      const c = await setupConnection(client, rx.url);
      log('30% failures: 500/s for 10 s…');
      const fp = await publishAt(client, c, 500, 10);
      const fs = await waitDelivered(rx, fp.sent, 60_000);
      await sleep(1000);
      results.failures30 = {
        published: fp.sent,
        deliveredUnique: fs.unique,
        answered500: fs.failed,
        allDelivered: fs.unique === fp.sent,
        db: await dbCounts(env),
      };
      log(JSON.stringify(results.failures30));
    } finally {
      await client.close();
      await svc.stop();
      rx.close();
      if (!process.env.BENCH_KEEP) await env.cleanup();
    }
  }

  finish(results);
  process.exit(0);
}

function finish(results) {
  const t = results.throughput;
  results.targets = {
    cpuSumAtMost2_5xRaw: t ? t.cpuRatioToRaw <= 2.5 : null,
    threeQuartersOfCeiling: t ? t.ofCeiling >= 0.75 : null,
    p99Under100msAt0_4OfCeiling: results.latency?.p99 != null ? results.latency.p99 <= 100 : null,
    sustainedNoDownwardTrend: results.sustained
      ? (results.sustained.slopes.deliveredPerSec?.ofMeanPerInterval ?? 0) > -0.02 &&
        results.sustained.delivered === results.sustained.published
      : null,
    failures30AllDelivered: results.failures30 ? results.failures30.allDelivered === true : null,
    nothingLost: t ? t.delivered === t.published : null,
  };
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
