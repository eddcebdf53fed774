#!/usr/bin/env node
// Event stream benchmark (issue 12). Run after `npx tsc -b`: `node bench/stream.mjs`.
// 1,000 sockets on one gateway (its own process, from dist; the token service beside it) across 50 users, 20 each,
// and in the same run 1,000 sockets on a bare `ws` server (bench/stream-bare.mjs, its own process) across the same
// users. The sockets live in a third process (bench/stream-clients.mjs). Every event is published once to RabbitMQ
// (-> the gateway's stream reader -> its user's 20 sockets) and, at the same moment, handed to the bare server over
// IPC (-> the same user's 20 sockets there), so both targets carry the same messages at the same time.
// Prints JSON: latency from publish to arrival (p50/p90/p99/max, ms) per target, RSS per idle socket (KB) and CPU
// µs per event of each process.
//
// Env: BENCH_SECONDS (30), BENCH_RATE (200 events/s), BENCH_USERS (50), BENCH_SOCKETS (1000 per target),
// BENCH_RSS_SOCKETS (3000: extra idle sockets per target for the RSS measurement).
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { connectBroker } from '@wahooks/broker';
import { newEventId, WhatsAppEvent } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal } from './clean-up-on-signal.mjs';
import { cpuMs, pgrep, rssKb } from './proc-stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const USERS = Number(process.env.BENCH_USERS ?? 50);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1000);
const PER_USER = Math.round(SOCKETS / USERS);
const RSS_SOCKETS = Number(process.env.BENCH_RSS_SOCKETS ?? 3000); // extra idle sockets per target, for RSS
const SECRET = `bench-secret-${randomUUID()}`;
const log = (...a) => process.stderr.write(`[bench] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const children = [];

function startService(name, env) {
  const prof = process.env.BENCH_PROFILE === name ? ['--cpu-prof', '--cpu-prof-dir=/tmp/wahooks-prof'] : [];
  const child = spawn(process.execPath, [...prof, 'dist/main.js'], {
    cwd: path.join(root, 'services', name),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

function forkHelper(file) {
  const child = fork(path.join(root, 'bench', file), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return child;
}
const ask = (child, msg, key) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (m[key] === undefined) return;
      child.off('message', on);
      resolve(m[key]);
    };
    child.on('message', on);
    child.send(msg);
  });

async function waitHttp(url, ready = () => true, timeoutMs = 30_000) {
  for (const until = Date.now() + timeoutMs; ; await sleep(200)) {
    try {
      const r = await fetch(url);
      if (r.ok && ready(await r.json())) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
  }
}

function percentiles(xs) {
  const s = Float64Array.from(xs).sort();
  const at = (q) => (s.length ? Number(s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2)) : null);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** A WAHA-shaped inbound text (about 700 bytes as a socket message), with the publish time in `sentAt`. */
function event(user, sentAt, extra = {}) {
  const id = newEventId();
  const payload = {
    id: `false_15557654321@c.us_${randomUUID().replace(/-/g, '').slice(0, 20).toUpperCase()}`,
    timestamp: Math.floor(sentAt / 1000),
    from: '15557654321@c.us',
    fromMe: false,
    source: 'app',
    to: '15551234567@c.us',
    participant: null,
    body: 'Hello! This is a benchmark message of a typical length, with a few words in it.',
    hasMedia: false,
    media: null,
    ack: 1,
    ackName: 'SERVER',
    replyTo: null,
    _data: { key: { remoteJid: '15557654321@s.whatsapp.net', fromMe: false, id: 'ABCDEF0123456789' }, pushName: 'Bob' },
    sentAt,
    ...extra,
  };
  const envelope = {
    id,
    timestamp: Math.floor(sentAt),
    event: 'message',
    session: 'default',
    connectionId: user.connectionId,
    userId: user.userId,
    metadata: {},
    me: { id: '15551234567@c.us', pushName: 'Alice' },
    payload,
    engine: 'NOWEB',
  };
  // What the gateway sends for this event, byte for byte: the bare server sends exactly this.
  const message = JSON.stringify({
    id,
    event: 'message',
    connectionId: user.connectionId,
    payload,
    timestamp: new Date(envelope.timestamp).toISOString(),
  });
  return { envelope, message };
}

async function main() {
  const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
  const env = cleanUpOnSignal(await createTestEnv('bench_stream'), children);
  try {
    const serviceEnv = { ...env.serviceEnv, LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: '' };
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
    await waitHttp(`${api}/api/health`, (body) => body.checks?.services?.token?.status === 'ok');
    const bare = forkHelper('stream-bare.mjs');
    const barePort = await new Promise((resolve) => bare.once('message', (m) => resolve(m.port)));
    const clients = forkHelper('stream-clients.mjs');

    const newUser = async () => {
      const userId = randomUUID();
      const token = await new SignJWT({ sub: userId })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('2h')
        .sign(new TextEncoder().encode(SECRET));
      return { userId, token, connectionId: randomUUID() };
    };
    const users = await Promise.all(Array.from({ length: USERS }, newUser));
    const broker = await connectBroker({ url: env.rabbitmqUrl, service: 'connection', namespace: env.namespace });
    const publish = (user, extra) => {
      const e = event(user, now(), extra);
      bare.send({ cmd: 'event', userId: user.userId, message: e.message });
      return broker.publish(WhatsAppEvent, e.envelope, { id: e.envelope.id });
    };

    // RSS per idle socket: each server's growth while RSS_SOCKETS more idle sockets (of other users) connect on top
    // of the 1,000, measured after both sets have sat idle; they are closed again before the load. (Measured from
    // zero, the first sockets reuse heap left over from start-up and look nearly free; GC noise needs a big set.)
    const targets = { gateway: `ws://127.0.0.1:${port}`, bare: `ws://127.0.0.1:${barePort}` };
    log(`opening ${PER_USER * USERS} sockets on each target (${USERS} users x ${PER_USER})`);
    await sleep(2000);
    const rss0 = { gateway: rssKb(gatewayProc.pid), bare: rssKb(bare.pid) };
    const opened = await ask(clients, { cmd: 'open', targets, users, perUser: PER_USER }, 'opened');
    const perTarget = opened / 2;
    await sleep(3000);
    const rss1 = { gateway: rssKb(gatewayProc.pid), bare: rssKb(bare.pid) };
    const idleUsers = await Promise.all(Array.from({ length: Math.ceil(RSS_SOCKETS / PER_USER) }, newUser));
    log(`RSS: ${idleUsers.length * PER_USER} more idle sockets on each target`);
    const extra = await ask(
      clients,
      { cmd: 'open', targets, users: idleUsers, perUser: PER_USER, group: 'rss' },
      'opened',
    );
    await sleep(5000);
    const rss2 = { gateway: rssKb(gatewayProc.pid), bare: rssKb(bare.pid) };
    await ask(clients, { cmd: 'close', group: 'rss' }, 'closed');
    const kb = (a, b, n) => Number(((b - a) / n).toFixed(1));
    const rssPerIdleSocketKb = {
      gateway: kb(rss1.gateway, rss2.gateway, extra / 2),
      bare: kb(rss1.bare, rss2.bare, extra / 2),
    };
    const rssFromZeroKb = {
      gateway: kb(rss0.gateway, rss1.gateway, perTarget),
      bare: kb(rss0.bare, rss1.bare, perTarget),
    };
    log(`RSS per idle socket (KB): ${JSON.stringify({ rssPerIdleSocketKb, rssFromZeroKb })}`);

    // Every socket admitted (it got a warm-up event of its user) before measuring.
    for (let round = 0; ; round++) {
      await Promise.all(users.map((u) => publish(u, { warmup: true })));
      await sleep(300);
      const s = await ask(clients, { cmd: 'stats', reset: false }, 'stats');
      if (s.gateway.warmedUp === perTarget && s.bare.warmedUp === perTarget) break;
      if (round > 50)
        throw new Error(`sockets not ready: ${JSON.stringify({ g: s.gateway.warmedUp, b: s.bare.warmedUp })}`);
    }
    await ask(clients, { cmd: 'stats', reset: true }, 'stats');

    log(`${RATE} events/s for ${SECONDS}s, round-robin over ${USERS} users (${PER_USER} sockets each per target)`);
    const groups = {
      gateway: [gatewayProc.pid],
      bare: [bare.pid],
      clients: [clients.pid],
      rabbitmq: pgrep('beam.smp'),
      token: [tokenProc.pid],
    };
    const cpu0 = Object.fromEntries(
      Object.entries(groups).map(([k, pids]) => [k, pids.reduce((n, p) => n + cpuMs(p), 0)]),
    );
    const benchCpu0 = process.cpuUsage();
    const total = RATE * SECONDS;
    const started = Date.now();
    const pending = new Set();
    for (let sent = 0; sent < total;) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
      for (; sent < due; sent++) {
        const p = publish(users[sent % USERS]).catch((err) => log(`publish failed: ${err.message}`));
        pending.add(p);
        p.finally(() => pending.delete(p));
      }
      await sleep(2);
    }
    await Promise.all(pending);
    await sleep(3000); // stragglers
    const cpu = Object.fromEntries(
      Object.entries(groups).map(([k, pids]) => [k, pids.reduce((n, p) => n + cpuMs(p), 0) - cpu0[k]]),
    );
    const benchCpu = process.cpuUsage(benchCpu0);
    cpu.bench = (benchCpu.user + benchCpu.system) / 1000;
    const s = await ask(clients, { cmd: 'stats', reset: false }, 'stats');
    const rss3 = { gateway: rssKb(gatewayProc.pid), bare: rssKb(bare.pid) };
    await broker.close();

    const expected = total * PER_USER;
    const result = (t) => ({
      ...percentiles(s[t].latencies),
      delivered: s[t].received,
      expected,
      closedSockets: s[t].closed,
      rssPerIdleSocketKb: rssPerIdleSocketKb[t],
      rssPerIdleSocketFromZeroKb: rssFromZeroKb[t],
      rssIdleMb: Number((rss1[t] / 1024).toFixed(1)), // with the 1,000 sockets, before the load
      rssAfterLoadMb: Number((rss3[t] / 1024).toFixed(1)),
    });
    const gateway = result('gateway');
    const bareResult = result('bare');
    const p99Ratio = Number((gateway.p99 / bareResult.p99).toFixed(2));
    const out = {
      gateway,
      bare: bareResult,
      p99Ratio,
      cpuUsPerEvent: Object.fromEntries(Object.entries(cpu).map(([k, ms]) => [k, Math.round((ms * 1000) / total)])),
      target: {
        p99Ratio: 3,
        rssPerIdleSocketKb: 50,
        met: p99Ratio <= 3 && gateway.rssPerIdleSocketKb <= 50 && gateway.delivered === expected,
      },
      events: total,
      rate: RATE,
      seconds: SECONDS,
      users: USERS,
      socketsPerTarget: perTarget,
      cpus: os.cpus().length,
      loadavg: { before: loadBefore, after: os.loadavg().map((x) => Number(x.toFixed(2))) },
      note: 'rabbitmq CPU is the whole shared broker (other users included); bench = the publishing process',
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    clients.send({ cmd: 'exit' });
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
