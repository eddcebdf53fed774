#!/usr/bin/env node
// Outbound send benchmark (issue 11). Run after `npx tsc -b`: `node bench/send.mjs`.
//
// Service path: `POST /api/connections/:id/send {chatId, text, skipPresence: true}` with an API token, through
// gateway → RabbitMQ → messaging → RabbitMQ → connection (the session's owner) → Baileys → emulator; every service
// is its own process from dist, on this machine's RabbitMQ/Postgres/Redis (a throwaway database and namespace).
// Bare ceiling, same run, same emulator process: as many real Baileys sockets calling `sock.sendMessage` directly
// (bench/send-bare-worker.mjs), no service in between. Both halves: CLIENTS concurrent callers over SESSIONS
// linked sessions, caller i on session i % SESSIONS and its own chat (a chat's sends are serial on the owner by
// design; distinct chats keep that out of the comparison), closed loop for BENCH_SECONDS (throughput), then an
// open loop at half the bare ceiling's rate for BENCH_LATENCY_SECONDS (latency; the target's rate), and for the
// service also at half of its own ceiling (its latency when not overloaded). The emulator's decrypted
// outbound records are counted against the sends that succeeded (nothing lost). CPU µs per send for every
// process from /proc/<pid>/stat. Prints one JSON object.
//
// Env: BENCH_SECONDS (30), BENCH_LATENCY_SECONDS (20), BENCH_WARMUP_SECONDS (3), BENCH_CLIENTS (20),
// BENCH_SESSIONS (10), BENCH_PHASE (both | bare: skip the service half), BENCH_TRACING (1: every service exports
// its spans over OTLP to a local receiver, bench/otlp-receiver.mjs; its CPU is reported as `otlpReceiver`).
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import pg from 'pg';
import { connectBroker } from '@wahooks/broker';
import { CreateConnection, Exchanges, SessionQr, SessionSend } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal } from './clean-up-on-signal.mjs';
import { cpuMs, pgrep, syscalls } from './proc-stats.mjs';
import { startOtlpReceiver, TRACING } from './otlp.mjs';
import { runClosedLoop, runOpenLoop } from './send-load.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10);
const PHASE = process.env.BENCH_PHASE ?? 'both';
const SECRET = `bench-secret-${randomUUID()}`;
const t0 = Date.now();
const log = (...a) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0)}s] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * `run()` plus, per successful send, the CPU µs and the read/write system calls each process group made
 * meanwhile (each call that crosses processes is a wakeup, dear on this virtual machine).
 */
async function measure(groups, run) {
  const before = new Map();
  for (const pids of Object.values(groups)) for (const p of pids()) before.set(p, [cpuMs(p), syscalls(p)]);
  const selfBefore = selfCpuMs();
  const result = await run();
  const cpuUsPerSend = {};
  const syscallsPerSend = {};
  for (const [name, pids] of Object.entries(groups)) {
    let ms = 0;
    let calls = 0;
    for (const p of pids()) {
      const [ms0, calls0] = before.get(p) ?? [0, 0];
      ms += cpuMs(p) - ms0;
      calls += syscalls(p) - calls0;
    }
    cpuUsPerSend[name] = result.sent ? Math.round((ms * 1000) / result.sent) : null;
    syscallsPerSend[name] = result.sent ? Number((calls / result.sent).toFixed(1)) : null;
  }
  cpuUsPerSend.loadGenerator = result.sent ? Math.round(((selfCpuMs() - selfBefore) * 1000) / result.sent) : null;
  return { ...result, cpuUsPerSend, syscallsPerSend };
}

async function waitFor(probe, what, timeoutMs = 120_000, everyMs = 200) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function startEmulator() {
  const child = spawn(process.execPath, [path.join(root, 'libs/wa-emulator/dist/main.js')], {
    env: { PATH: process.env.PATH, WA_EMULATOR_PORT: '0', WA_EMULATOR_AUTO_RECEIPT: 'none' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve({ child, ...JSON.parse(line) });
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
}

function startService(name, env) {
  // BENCH_PROFILE=connection (or messaging, gateway) writes a V8 CPU profile of that service to /tmp/wahooks-prof.
  const prof = process.env.BENCH_PROFILE === name ? ['--cpu-prof', '--cpu-prof-dir=/tmp/wahooks-prof'] : [];
  // BENCH_LOG_DIR=<dir>: each service's log (stdout) goes to <dir>/<name>.log instead of nowhere.
  const logTo = process.env.BENCH_LOG_DIR
    ? openSync(path.join(process.env.BENCH_LOG_DIR, `${name}.log`), 'w')
    : 'ignore';
  const child = spawn(process.execPath, [...prof, path.join(root, `services/${name}/dist/main.js`)], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', logTo, 'inherit'],
  });
  children.push(child);
  return child;
}

/**
 * A bare keep-alive HTTP POST (node:http, one socket per concurrent caller): the load generator shares the
 * machine's two cores with the services, so it should cost as little as it can (got costs ~1 ms per request).
 */
function httpPoster(port, apiToken) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  return (path, json) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(json);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${apiToken}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body: text }));
        },
      );
      req.setTimeout(90_000, () => req.destroy(new Error('request timed out after 90 s')));
      req.on('error', reject);
      req.end(body);
    });
}

/** Transactions committed in the bench database and rows written per table so far (Postgres' statistics). */
async function pgCounters(db) {
  await sleep(1500); // backends flush their statistics about once a second
  const [{ commits }] = (
    await db.query('SELECT xact_commit::int AS commits FROM pg_stat_database WHERE datname = current_database()')
  ).rows;
  const tables = (
    await db.query(
      `SELECT schemaname || '.' || relname AS t, (n_tup_ins + n_tup_upd + n_tup_del)::int AS n FROM pg_stat_user_tables`,
    )
  ).rows;
  return { commits, writes: Object.fromEntries(tables.map((r) => [r.t, r.n])) };
}

function pgPerSend(before, after, sends) {
  const per = (n) => Number((n / sends).toFixed(2));
  const writes = {};
  for (const [t, n] of Object.entries(after.writes)) {
    const d = n - (before.writes[t] ?? 0);
    if (d > 0) writes[t] = per(d);
  }
  return { transactions: per(after.commits - before.commits), rowWrites: writes };
}

/** IPC to the bare worker: one request, one answer. */
function rpc(child) {
  let seq = 0;
  const pending = new Map();
  child.on('message', (m) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(new Error(m.error));
    else p?.resolve(m);
  });
  return (op, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      child.send({ id, op, ...args });
    });
}

/** What the emulator decrypted per label: records of the given phones whose text starts with `label `. */
async function received(emu, phones, label) {
  let n = 0;
  for (const phone of phones) {
    const r = await fetch(`${emu.control}/outbound?phone=${phone}`);
    const { messages } = await r.json();
    n += messages.filter((m) => typeof m.text === 'string' && m.text.startsWith(`${label} `)).length;
  }
  return n;
}

const contactsFrom = (base) => Array.from({ length: CLIENTS }, (_, i) => String(base + i));

async function bareHalf(emu) {
  const worker = fork(path.join(root, 'bench/send-bare-worker.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(worker);
  const call = rpc(worker);
  log(`bare: linking ${SESSIONS} Baileys sockets`);
  const { phones } = await call('init', {
    url: emu.url,
    control: emu.control,
    rootKey: emu.rootKey,
    sessions: SESSIONS,
  });
  const contacts = contactsFrom(4930000000000);
  const groups = { bareBaileys: () => [worker.pid], emulator: () => [emu.child.pid] };
  await call('load', { mode: 'closed', clients: CLIENTS, seconds: WARMUP, label: 'warm', contacts });
  log(`bare: closed loop, ${CLIENTS} callers, ${SECONDS} s`);
  const ceiling = await measure(groups, () =>
    call('load', { mode: 'closed', clients: CLIENTS, seconds: SECONDS, label: 'bare-ceiling', contacts }).then(strip),
  );
  const rate = Math.max(1, Math.round(ceiling.perSecond / 2));
  log(`bare: ${ceiling.perSecond}/s; open loop at ${rate}/s, ${LATENCY_SECONDS} s`);
  const latency = await measure(groups, () =>
    call('load', {
      mode: 'open',
      clients: CLIENTS,
      seconds: LATENCY_SECONDS,
      rate,
      label: 'bare-latency',
      contacts,
    }).then(strip),
  );
  await sleep(1000);
  ceiling.receivedAtEmulator = await received(emu, phones, 'bare-ceiling');
  latency.receivedAtEmulator = await received(emu, phones, 'bare-latency');
  await call('stop').catch(() => undefined);
  return { ceiling, latency, halfRate: rate };
}
const strip = ({ id: _id, ...rest }) => rest;

async function serviceHalf(emu, env, halfRate) {
  const otlp = TRACING ? await startOtlpReceiver(children) : undefined;
  const serviceEnv = { ...env.serviceEnv, LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: otlp?.endpoint ?? '' };
  const connection = startService('connection', {
    ...serviceEnv,
    WA_LOG_LEVEL: process.env.BENCH_WA_LOG ?? 'silent', // Baileys' own log of each session (stderr)
    WA_WEBSOCKET_URL: emu.url,
    WA_SERVER_ROOT_KEY: emu.rootKey,
    BILLING_GATE: 'off', // no billing service in this benchmark
  });
  const token = startService('token', serviceEnv);
  const messaging = startService('messaging', serviceEnv);
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const gateway = startService('gateway', {
    ...serviceEnv,
    PORT: String(port),
    RATE_LIMIT_PER_MINUTE: '100000000',
    SUPABASE_JWT_SECRET: SECRET,
    REDIS_PREFIX: env.redisPrefix,
  });
  const api = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    const r = await fetch(`${api}/api/health`);
    const body = await r.json();
    const s = body.checks?.services ?? {};
    return ['token', 'messaging', 'connection'].every((n) => s[n]?.status === 'ok');
  }, 'gateway health: token, messaging and connection up');

  const userId = randomUUID();
  const jwt = await new SignJWT({ sub: userId })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
  const created = await fetch(`${api}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (created.status !== 201) throw new Error(`token create: ${created.status} ${await created.text()}`);
  const apiToken = (await created.json()).token;

  log(`service: linking ${SESSIONS} connections`);
  const broker = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
  const connections = [];
  for (let i = 0; i < SESSIONS; i++) {
    const { id } = await broker.request(CreateConnection, { userId, name: `bench ${i}` });
    const qr = await waitFor(
      async () =>
        (await broker.request(SessionQr, { connectionId: id }, { exchange: Exchanges.sessions, routingKey: id }))?.raw,
      `QR of ${id}`,
    );
    const r = await fetch(`${emu.control}/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ qr }),
    });
    connections.push({ id, phone: (await r.json()).phone });
  }
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 1 });
  await waitFor(
    async () =>
      (await db.query(`SELECT count(*)::int AS n FROM connection.connections WHERE status = 'working'`)).rows[0].n ===
      SESSIONS,
    'all connections working',
    180_000,
  );
  await sleep(3000); // history sync and the first batches settled

  const post = httpPoster(port, apiToken);
  const contacts = contactsFrom(4931000000000);
  const makeSend = (label) => async (c, n) => {
    const conn = connections[c % connections.length];
    const { status, body } = await post(`/api/connections/${conn.id}/send`, {
      chatId: `${contacts[c]}@c.us`,
      text: `${label} ${c}:${n}`,
      skipPresence: true,
    });
    if (status !== 201) throw new Error(`${status} ${body.slice(0, 200)}`);
  };
  const dbName = new URL(env.databaseUrl).pathname.slice(1);
  const groups = {
    gateway: () => [gateway.pid],
    messaging: () => [messaging.pid],
    connection: () => [connection.pid],
    token: () => [token.pid],
    emulator: () => [emu.child.pid],
    postgres: () => pgrep(`postgres: .* ${dbName} `),
    rabbitmq: () => pgrep('beam.smp'),
    redis: () => pgrep('redis-server'),
    ...(otlp ? { otlpReceiver: () => [otlp.child.pid] } : {}),
  };
  await runClosedLoop(makeSend('warm'), { clients: CLIENTS, seconds: WARMUP });

  // One send at a time, idle system: the whole path over HTTP, and the owner's part alone (SessionSend straight
  // over the broker, as the messaging service asks it): where an unloaded send's time goes.
  const idle = {};
  idle.http = await runClosedLoop(makeSend('svc-idle'), { clients: 1, seconds: 5 });
  let seq = 0;
  idle.ownerOnly = await runClosedLoop(
    async (c, n) => {
      const conn = connections[c % connections.length];
      await broker.request(
        SessionSend,
        {
          connectionId: conn.id,
          chatId: `${contacts[c]}@s.whatsapp.net`,
          messageId: `3EB0${Date.now().toString(16).toUpperCase()}${(seq++).toString(16).toUpperCase().padStart(6, '0')}`,
          content: { type: 'text', text: `svc-owner-idle ${c}:${n}` },
        },
        { exchange: Exchanges.sessions, routingKey: conn.id, timeoutMs: 60_000 },
      );
    },
    { clients: 1, seconds: 5 },
  );
  log(`service: idle p50 ${idle.http.latencyMs.p50} ms over HTTP, ${idle.ownerOnly.latencyMs.p50} ms at the owner`);

  log(`service: closed loop, ${CLIENTS} callers, ${SECONDS} s`);
  const pgBefore = await pgCounters(db);
  const throughput = await measure(groups, () =>
    runClosedLoop(makeSend('svc-throughput'), { clients: CLIENTS, seconds: SECONDS }),
  );
  // Per send, every service's statements together (each autocommit statement counts as a transaction).
  throughput.postgresPerSend = pgPerSend(pgBefore, await pgCounters(db), throughput.sent);
  // At a rate above what it sustains the service only queues: latency then grows with the run's length.
  let latency;
  if (throughput.perSecond >= halfRate) {
    log(`service: ${throughput.perSecond}/s; open loop at ${halfRate}/s, ${LATENCY_SECONDS} s`);
    latency = await measure(groups, () =>
      runOpenLoop(makeSend('svc-latency'), { clients: CLIENTS, seconds: LATENCY_SECONDS, rate: halfRate }),
    );
  } else {
    latency = {
      skipped: `the service sustains ${throughput.perSecond}/s, less than ${halfRate}/s: it would only queue`,
    };
    log(`service: ${throughput.perSecond}/s; ${latency.skipped}`);
  }
  // The service's own latency, at half of ITS ceiling (the rate above may exceed what it can sustain).
  const ownHalf = Math.max(1, Math.round(throughput.perSecond / 2));
  log(`service: open loop at ${ownHalf}/s (half its own ceiling), ${LATENCY_SECONDS} s`);
  const latencyAtOwnHalf = await measure(groups, () =>
    runOpenLoop(makeSend('svc-own-half'), { clients: CLIENTS, seconds: LATENCY_SECONDS, rate: ownHalf }),
  );
  await sleep(1000);
  const phones = connections.map((c) => c.phone);
  throughput.receivedAtEmulator = await received(emu, phones, 'svc-throughput');
  if (!latency.skipped) latency.receivedAtEmulator = await received(emu, phones, 'svc-latency');
  latencyAtOwnHalf.receivedAtEmulator = await received(emu, phones, 'svc-own-half');
  await broker.close();
  await db.end();
  const tracing = otlp ? { endpoint: otlp.endpoint, received: await otlp.counters() } : { off: true };
  return { idle, throughput, latency, latencyAtOwnHalf, tracing };
}

async function main() {
  const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
  const env = cleanUpOnSignal(await createTestEnv('bench_send'), children);
  const out = {
    clients: CLIENTS,
    sessions: SESSIONS,
    seconds: SECONDS,
    latencySeconds: LATENCY_SECONDS,
    cpus: os.cpus().length,
    node: process.version,
  };
  try {
    const emu = await startEmulator();
    out.bare = await bareHalf(emu);
    if (PHASE !== 'bare') {
      out.service = await serviceHalf(emu, env, out.bare.halfRate);
      const ofCeiling = out.service.throughput.perSecond / out.bare.ceiling.perSecond;
      const p99Ratio = out.service.latency.skipped
        ? Infinity
        : out.service.latency.latencyMs.p99 / out.bare.latency.latencyMs.p99;
      out.ofCeiling = Number(ofCeiling.toFixed(2));
      out.p99RatioAtHalfCeiling = Number.isFinite(p99Ratio) ? Number(p99Ratio.toFixed(2)) : null;
      const lost = (r) => (r.skipped ? 0 : r.sent - Math.min(r.sent, r.receivedAtEmulator));
      out.lostAtEmulator =
        lost(out.service.throughput) + lost(out.service.latency) + lost(out.service.latencyAtOwnHalf);
      out.targets = {
        halfOfCeiling: ofCeiling >= 0.5,
        p99Within3xBare: p99Ratio <= 3,
        nothingLost: out.lostAtEmulator === 0,
        noFailures: [out.service.throughput, out.service.latency, out.service.latencyAtOwnHalf].every(
          (r) => r.skipped || r.failed === 0,
        ),
      };
    }
    out.loadavg = { before: loadBefore, after: os.loadavg().map((x) => Number(x.toFixed(2))) };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(1500);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (!process.env.BENCH_KEEP) await env.cleanup();
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
