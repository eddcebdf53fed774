#!/usr/bin/env node
// Webhook delivery benchmark (issue 5). Run after `npx tsc -b`: `node bench/webhooks.mjs`.
// events published to the broker -> fan-out -> signed POSTs to a local receiver (own process), deliveries and
// attempts persisted; the service runs as its own process from dist. The raw ceiling (got POSTing the same
// bodies at the same concurrency to the same receiver) is measured in the same run. Prints JSON.
//
// Env: BENCH_SECONDS (60), BENCH_RATE (2500 events/s offered), BENCH_LATENCY_RATE (500), BENCH_CONCURRENCY (64).
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import got from 'got';
import { connectBroker } from '@wahooks/broker';
import { ConnectionCreated, CreateWebhook, ListWebhooks, WhatsAppEvent } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal } from './clean-up-on-signal.mjs';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_RATE ?? 2500);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 500);
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
      const stats = (reset = false) =>
        new Promise((r) => {
          child.once('message', (m) => r(m.stats));
          child.send({ cmd: 'stats', reset });
        });
      resolve({ port, url: `http://127.0.0.1:${port}/hook`, stats, close: () => child.send({ cmd: 'exit' }) });
    });
  });
}

function startService(env, extra) {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(root, 'services/webhook-delivery/dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      ...env.serviceEnv,
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
      ...extra,
      // WEBHOOK_* variables of the bench's own environment override (tuning experiments).
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WEBHOOK_'))),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
async function publishAt(client, c, rate, seconds) {
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
  return Math.round(n / seconds);
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

async function main() {
  const results = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    concurrency: CONCURRENCY,
  };

  // 1. Throughput + raw ceiling (fresh database and namespace).
  {
    const env = cleanUpOnSignal(await createTestEnv('bench_wh'));
    const rx = await startReceiver();
    const svc = startService(env, { WEBHOOK_RETRY_SCHEDULE: '5s,10s,20s,40s' });
    const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
    try {
      const c = await setupConnection(client, rx.url);
      log('raw ceiling (10 s)…');
      results.rawCeilingPerSec = await rawCeiling(rx.url, CONCURRENCY, 10);
      await rx.stats(true);
      if (!process.env.BENCH_SKIP_THROUGHPUT) {
        log(`throughput: offering ${RATE}/s for ${SECONDS} s…`);
        const t0 = Date.now();
        const pub = await publishAt(client, c, RATE, SECONDS);
        const s = await waitDelivered(rx, pub.sent, 300_000);
        const tEnd = Date.now();
        const inWindow = s.perSecond
          .filter(([sec]) => sec * 1000 >= t0 && sec * 1000 < t0 + SECONDS * 1000)
          .reduce((a, [, n]) => a + n, 0);
        results.throughput = {
          offeredPerSec: RATE,
          published: pub.sent,
          publishRatePerSec: pub.publishRate,
          delivered: s.unique,
          deliveredPerSecDuringWindow: Math.round(inWindow / SECONDS),
          deliveredPerSecOverall: Math.round(s.unique / ((tEnd - t0) / 1000)),
          drainSecondsAfterWindow: Math.round((tEnd - t0) / 100) / 10 - SECONDS,
          latencyMs: { p50: pct(s.latencies, 50), p99: pct(s.latencies, 99), max: pct(s.latencies, 100) },
          ofCeiling: Math.round((100 * inWindow) / SECONDS / results.rawCeilingPerSec) / 100,
          db: await dbCounts(env),
        };
        log(JSON.stringify(results.throughput));
      }

      // 2. Latency at a moderate rate.
      // The latency phase needs an empty pipeline: skip it when the throughput phase left a backlog.
      const drained = !results.throughput || results.throughput.delivered >= results.throughput.published;
      if (!drained) results.latency = { skipped: 'throughput backlog not drained within 300 s' };
      if (!process.env.BENCH_SKIP_LATENCY && drained) {
        await rx.stats(true);
        log(`latency: ${LATENCY_RATE}/s for 20 s…`);
        const latencyStart = Date.now();
        const lp = await publishAt(client, c, LATENCY_RATE, 20);
        const ls = await waitDelivered(rx, lp.sent, 60_000);
        results.latency = {
          ratePerSec: LATENCY_RATE,
          published: lp.sent,
          delivered: ls.unique,
          p50: pct(ls.latencies, 50),
          p90: pct(ls.latencies, 90),
          p99: pct(ls.latencies, 99),
          max: pct(ls.latencies, 100),
          stagesMs: await stageBreakdown(env, latencyStart),
        };
        log(JSON.stringify(results.latency));
      }
    } finally {
      await client.close();
      await svc.stop();
      rx.close();
      if (!process.env.BENCH_KEEP) await env.cleanup();
    }
  }

  // 3. 30% of answers are 500s: everything still delivered within the ladder (10 attempts: 0.3^10 ≈ 6e-6).
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
  results.targets = {
    throughput2000: (results.throughput?.deliveredPerSecDuringWindow ?? 0) >= 2000,
    halfOfCeiling: (results.throughput?.ofCeiling ?? 0) >= 0.5,
    p99Under100msAt500: (results.latency?.p99 ?? Infinity) <= 100,
    failures30AllDelivered: results.failures30?.allDelivered === true,
  };
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
