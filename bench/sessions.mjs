// Connection-service benchmark: real replicas (services/connection/dist/main.js) with N linked sessions on the
// offline emulator, on this machine's RabbitMQ/Postgres/Redis (a throwaway database and namespace).
//   npx tsc -b            (builds the libs, the emulator and the service)   then
//   node bench/sessions.mjs [sessions=100] [messagesPerSession=5] [pairConcurrency=4]
// Measures (issue 4 targets): RSS per idle connected session (≤ 5 MB), inbound events/s published, and the
// failover time when the replica holding half of the sessions is SIGKILLed (≤ 30 s for 100, zero events lost).
// Prints one JSON object; stops by itself after BENCH_TIMEOUT_MS (default 20 min) with "timedOut": true.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectBroker, on } from '@wahooks/broker';
import { CreateConnection, Exchanges, SessionQr, WhatsAppEvent } from '@wahooks/contracts';
import { createTestEnv } from '@wahooks/testing';
import { cleanUpOnSignal } from './clean-up-on-signal.mjs';
import { startEmulatorProcess } from './emulator-process.mjs';
import pg from 'pg';

const SESSIONS = Number(process.argv[2] ?? 100);
const PER_SESSION = Number(process.argv[3] ?? 5);
const PAIR_CONCURRENCY = Number(process.argv[4] ?? 4);
const LEASE_MS = Number(process.env.SESSION_LEASE_MS ?? 10_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const t0 = Date.now();
const progress = (...args) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const result = { sessions: SESSIONS, messagesPerSession: PER_SESSION, leaseMs: LEASE_MS };
const children = [];

async function waitFor(probe, what, timeoutMs = 120_000, everyMs = 100) {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
const rssMB = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return +(Number(line.split(/\s+/)[1]) / 1024).toFixed(1);
};

const env = cleanUpOnSignal(await createTestEnv('bench_sessions'), children);
async function finish(code) {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await env.cleanup().catch((err) => {
    console.error(`clean-up failed: ${err.message}`); // names left on the broker: say so, fail the run
    code = code || 1;
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(code);
}
setTimeout(() => {
  result.timedOut = true;
  void finish(1);
}, TIMEOUT_MS).unref();

try {
  // ---- the emulator ------------------------------------------------------------------------------------------
  const emu = await startEmulatorProcess(children);
  const control = emu.call;

  // ---- replicas ----------------------------------------------------------------------------------------------
  const mainJs = fileURLToPath(new URL('../services/connection/dist/main.js', import.meta.url));
  const startReplica = () => {
    const child = spawn(process.execPath, ['--expose-gc', mainJs], {
      env: {
        ...process.env,
        ...env.serviceEnv,
        LOG_LEVEL: 'warn',
        WA_LOG_LEVEL: 'silent',
        WA_WEBSOCKET_URL: emu.url,
        WA_SERVER_ROOT_KEY: emu.rootKey,
        SESSION_LEASE_MS: String(LEASE_MS),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace });
  const consumer = await connectBroker({ url: env.rabbitmqUrl, service: 'webhook-delivery', namespace: env.namespace });
  const messages = new Map(); // message key id → count of publications
  await consumer.subscribe('bench', [
    on(WhatsAppEvent, async (p) => {
      if (p.event === 'message') {
        const id = p.payload.id.split('_').pop();
        messages.set(id, (messages.get(id) ?? 0) + 1);
      }
    }),
  ]);

  const a = startReplica();
  await waitFor(async () => {
    try {
      await db.query('SELECT 1 FROM connection.connections LIMIT 1');
      return true;
    } catch {
      return false;
    }
  }, 'replica A migrated');
  await sleep(2000);
  result.replicaBaselineRssMB = rssMB(a.pid);

  // ---- link N sessions on replica A ----------------------------------------------------------------------------
  progress(`linking ${SESSIONS} sessions`);
  const userId = randomUUID();
  const phones = new Map();
  const tLink = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PAIR_CONCURRENCY }, async () => {
      while (next < SESSIONS) {
        next++;
        const { id } = await client.request(CreateConnection, { userId });
        const qr = await waitFor(
          async () => {
            const r = await client
              .request(SessionQr, { connectionId: id }, { exchange: Exchanges.sessions, routingKey: id })
              .catch(() => undefined);
            return r?.raw;
          },
          `QR of ${id}`,
          120_000,
          250,
        );
        const { phone } = await control('POST', '/scan', { qr });
        phones.set(id, phone);
        if (phones.size % 10 === 0) progress(`${phones.size} linked`);
      }
    }),
  );
  await waitFor(
    async () => {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM connection.connections WHERE status = 'working'`);
      return rows[0].n === SESSIONS;
    },
    'all working',
    300_000,
    250,
  );
  result.linkSeconds = +((Date.now() - tLink) / 1000).toFixed(1);
  await sleep(5000); // idle: history sync done, buffers flushed
  result.replicaRssWithSessionsMB = rssMB(a.pid);
  result.rssPerIdleSessionMB = +((result.replicaRssWithSessionsMB - result.replicaBaselineRssMB) / SESSIONS).toFixed(2);
  progress(`RSS ${result.replicaBaselineRssMB} → ${result.replicaRssWithSessionsMB} MB`);

  // ---- inbound throughput ------------------------------------------------------------------------------------
  const ids = [...phones.values()];
  const total = SESSIONS * PER_SESSION;
  const sent = [];
  const tIn = Date.now();
  let k = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (k < total) {
        const i = k++;
        const r = await control('POST', '/inbound', {
          to: ids[i % SESSIONS],
          from: '15557654321',
          type: 'text',
          text: `bench ${i}`,
        });
        sent.push(r.id);
      }
    }),
  );
  await waitFor(() => sent.every((id) => messages.has(id)), 'all inbound published', 300_000, 50);
  const inMs = Date.now() - tIn;
  result.inboundMessages = total;
  result.inboundPublishedPerSecond = Math.round((total * 2) / (inMs / 1000)); // message + message.any each
  result.inboundMessagesPerSecond = Math.round(total / (inMs / 1000));

  // ---- failover ----------------------------------------------------------------------------------------------
  // Replica B joins; A is killed while it still holds (nearly) every session, so B takes over all of them.
  progress('starting replica B');
  const b = startReplica();
  const owners = async () => (await db.query('SELECT id, owner FROM connection.connections')).rows;
  const connectedPhones = async () =>
    new Set((await control('GET', '/accounts')).accounts.filter((x) => x.connected).map((x) => x.phone));
  // B is up and in the replica set once it holds its first session (one A handed back); kill A right then.
  await waitFor(async () => (await owners()).some((r) => r.owner?.endsWith(`:${b.pid}`)), 'B joined', 120_000, 50);
  const ofA = (await owners()).filter((r) => r.owner?.endsWith(`:${a.pid}`)).map((r) => r.id);
  result.failoverSessions = ofA.length;
  progress(`SIGKILL replica A holding ${ofA.length} sessions`);
  const tKill = Date.now();
  a.kill('SIGKILL');
  const outage = [];
  for (const id of ofA)
    outage.push(
      (
        await control('POST', '/inbound', {
          to: phones.get(id),
          from: '15557654321',
          type: 'text',
          text: 'during failover',
        })
      ).id,
    );
  await waitFor(async () => (await owners()).every((r) => r.owner?.endsWith(`:${b.pid}`)), 'B owns all', 120_000, 100);
  await waitFor(async () => (await connectedPhones()).size === SESSIONS, 'all reconnected', 120_000, 100);
  result.failoverSeconds = +((Date.now() - tKill) / 1000).toFixed(1);
  await waitFor(() => outage.every((id) => messages.has(id)), 'outage messages published', 120_000, 100).catch(
    () => undefined,
  );
  result.eventsLostInFailover = outage.filter((id) => !messages.has(id)).length;
  result.accountsLoggedOut = (await control('GET', '/accounts')).accounts.filter((x) => x.loggedOut).length;
  await client.close();
  await consumer.close();
  await db.end();
  await finish(0);
} catch (err) {
  result.error = String(err?.stack ?? err);
  await finish(1);
}
