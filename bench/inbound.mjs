#!/usr/bin/env node
// Inbound WhatsApp messages (issue 15): the connection service against bare Baileys, same emulator, same load.
// Run after `npx tsc -b`:  node bench/inbound.mjs [sessions=20] [messagesPerSession=100] [concurrency=32]
//
// 1. Bare baseline: one process of real Baileys 7 sockets with in-memory keys (emulator-sessions-worker.mjs),
//    `sessions` of them linked to the emulator. A message counts once the socket's messages.upsert has it.
// 2. The service: one connection-service process (services/connection/dist/main.js) with as many sessions linked
//    to the same emulator process. A message counts once its `message` event reached a consumer on the broker:
//    Signal keys and the outbox row in Postgres, the publish confirmed (the service's whole inbound path).
// Both phases: one warm-up message per session first (a new contact: X3DH on both sides), then
// sessions × messagesPerSession injected through the emulator's control API by this process, `concurrency` at a
// time. Printed per phase: messages/s, and CPU µs per message of every process involved (emulator, the bare
// process | the service, its Postgres backends, RabbitMQ, Redis) with their sum; this process (the injector and
// the consumer) is shown, not summed. `ratio` = the service's rate / the bare rate; the emulator's share of each
// sum says whether the emulator, not the client, is the ceiling. Prints JSON on stdout, progress on stderr.
// BENCH_PROFILE=<dir> writes a V8 CPU profile of the service there.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectBroker, on } from '@wahooks/broker';
import { CreateConnection, Exchanges, SessionQr, WhatsAppEvent } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal } from './clean-up-on-signal.mjs';
import { forkRpcWorker, startEmulatorProcess } from './emulator-process.mjs';
import { cpuMeter, perUnit, pgrep } from './proc-stats.mjs';

const SESSIONS = Number(process.argv[2] ?? 20);
const PER_SESSION = Number(process.argv[3] ?? 100);
const CONCURRENCY = Number(process.argv[4] ?? 32);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const BARE_FIRST_INDEX = 1000; // bare sessions' phones 1555000<1000+i>: apart from the ones the service scans
const t0 = Date.now();
const log = (...a) => console.error(`[inbound ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(probe, what, timeoutMs = 120_000, everyMs = 100) {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const children = [];
const env = cleanUpOnSignal(await createTestEnv('bench_inbound'), children);
const result = {
  machine: { cpus: os.cpus().length, node: process.version },
  sessions: SESSIONS,
  messagesPerSession: PER_SESSION,
  concurrency: CONCURRENCY,
};
let finished = false;
async function finish(code) {
  if (finished) return;
  finished = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await env.cleanup().catch((err) => {
    console.error(`clean-up failed: ${err.message}`);
    code = code || 1;
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(code);
}
setTimeout(() => {
  result.timedOut = true;
  void finish(1);
}, TIMEOUT_MS).unref();

/** `total` messages to `phones` (round robin), `CONCURRENCY` injections at a time; resolves with their ids. */
async function inject(emu, phones, total, label) {
  const ids = [];
  let k = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, total) }, async () => {
      while (k < total) {
        const i = k++;
        const s = i % phones.length;
        const { id } = await emu.call('POST', '/inbound', {
          to: phones[s],
          from: String(4930000000000 + s), // one contact per session
          type: 'text',
          text: `${label} ${i}`,
        });
        ids.push(id);
      }
    }),
  );
  return ids;
}

/** One measured round: inject, wait until `received()` counts them all; rate and CPU per message. */
async function measuredRound(emu, phones, groups, summed, received) {
  const total = phones.length * PER_SESSION;
  const before = await received();
  const meter = cpuMeter(groups);
  const start = Date.now();
  await inject(emu, phones, total, 'measured');
  const injectedMs = Date.now() - start;
  await waitFor(async () => (await received()) - before >= total, 'every message received', 600_000, 20);
  const ms = Date.now() - start;
  const used = meter.read();
  meter.stop();
  return {
    messages: total,
    seconds: Math.round(ms / 100) / 10,
    injectSeconds: Math.round(injectedMs / 100) / 10,
    messagesPerSec: Math.round(total / (ms / 1000)),
    cpuUsPerMessage: perUnit(used, total, summed),
    emulatorShareOfCpu: Math.round((100 * used.emulator) / summed.reduce((n, k) => n + (used[k] ?? 0), 0)) / 100,
  };
}

/** Bare Baileys sockets in one worker process, linked to the emulator. */
async function bare(emu) {
  const { child, rpc } = forkRpcWorker('./emulator-sessions-worker.mjs', children);
  try {
    await rpc('init', { url: emu.url, control: emu.control, rootKey: emu.rootKey });
    const indexes = Array.from({ length: SESSIONS }, (_, i) => BARE_FIRST_INDEX + i);
    const paired = await rpc('pair', { indexes, concurrency: 4 });
    if (paired.paired !== SESSIONS) throw new Error(`bare: ${paired.paired} of ${SESSIONS} linked: ${paired.errors}`);
    log(`bare: ${SESSIONS} sessions online`);
    const phones = indexes.map((i) => String(15550000000 + i));
    const received = async () => (await rpc('received')).count;
    await inject(emu, phones, phones.length, 'warm-up');
    await waitFor(async () => (await received()) >= phones.length, 'bare warm-up received');
    const groups = { emulator: [emu.child.pid], client: [child.pid], bench: [process.pid] };
    const round = await measuredRound(emu, phones, groups, ['emulator', 'client'], received);
    log(`bare: ${JSON.stringify(round)}`);
    return round;
  } finally {
    await rpc('stop').catch(() => undefined);
    await sleep(500);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** One connection-service process with the same number of sessions; counts `message` events on the broker. */
async function service(emu) {
  const child = spawn(
    process.execPath,
    [
      // BENCH_PROFILE=<dir>: a V8 CPU profile of the service (written when it exits)
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      fileURLToPath(new URL('../services/connection/dist/main.js', import.meta.url)),
    ],
    {
      env: {
        PATH: process.env.PATH,
        ...env.serviceEnv,
        LOG_LEVEL: 'warn',
        WA_LOG_LEVEL: 'silent',
        WA_WEBSOCKET_URL: emu.url,
        WA_SERVER_ROOT_KEY: emu.rootKey,
        BILLING_GATE: 'off',
        METRICS_PORT: 'off',
        ...(process.env.OTEL_EXPORTER_OTLP_ENDPOINT
          ? { OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT }
          : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  children.push(child);
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
  const consumer = await connectBroker({ url: env.rabbitmqUrl, service: 'webhook-delivery', namespace: env.namespace });
  try {
    let messages = 0;
    await consumer.subscribe('bench-inbound', [
      on(WhatsAppEvent, async (p) => {
        if (p.event === 'message') messages++;
      }),
    ]);
    await waitFor(
      () =>
        db.query('SELECT 1 FROM connection.connections LIMIT 1').then(
          () => true,
          () => false,
        ),
      'the service migrated',
    );
    const userId = randomUUID();
    const phones = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < SESSIONS) {
          next++;
          // 503 until the service serves its commands (it answers a moment after its migrations)
          const { id } = await waitFor(
            () => client.request(CreateConnection, { userId }).catch(() => undefined),
            'the service taking commands',
            60_000,
            250,
          );
          const qr = await waitFor(
            async () =>
              (
                await client
                  .request(SessionQr, { connectionId: id }, { exchange: Exchanges.sessions, routingKey: id })
                  .catch(() => undefined)
              )?.raw,
            `QR of ${id}`,
            120_000,
            250,
          );
          phones.push((await emu.call('POST', '/scan', { qr })).phone);
        }
      }),
    );
    await waitFor(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM connection.connections WHERE status = 'working'`)).rows[0].n ===
        SESSIONS,
      'every session working',
      300_000,
      250,
    );
    await sleep(3000); // history sync and the first key uploads are done
    log(`service: ${SESSIONS} sessions working`);
    const received = async () => messages;
    await inject(emu, phones, phones.length, 'warm-up');
    await waitFor(async () => messages >= phones.length, 'service warm-up published');
    const dbName = new URL(env.databaseUrl).pathname.slice(1);
    const groups = {
      emulator: [emu.child.pid],
      service: [child.pid],
      postgres: new RegExp(`^postgres: .* ${dbName}( |$)`),
      rabbitmq: /beam\.smp .*-s rabbit boot/,
      redis: pgrep('redis-server'),
      bench: [process.pid],
    };
    const round = await measuredRound(
      emu,
      phones,
      groups,
      ['emulator', 'service', 'postgres', 'rabbitmq', 'redis'],
      received,
    );
    log(`service: ${JSON.stringify(round)}`);
    return round;
  } finally {
    await client.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()));
  }
}

try {
  const emu = await startEmulatorProcess(children);
  log(`emulator at ${emu.url}; ${SESSIONS} sessions × ${PER_SESSION} messages, ${CONCURRENCY} at a time`);
  result.bare = await bare(emu);
  result.service = await service(emu);
  result.ratio = Math.round((100 * result.service.messagesPerSec) / result.bare.messagesPerSec) / 100;
  result.cpuSumRatio = Math.round((100 * result.service.cpuUsPerMessage.sum) / result.bare.cpuUsPerMessage.sum) / 100;
  result.target = { ratio: 0.7, met: result.ratio >= 0.7 };
  await finish(0);
} catch (err) {
  result.error = String(err?.stack ?? err);
  await finish(1);
}
