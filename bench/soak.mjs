// Soak check of the broker's own cost (issue 15): the whole test suite twice, then every benchmark (short
// settings), then the broker must look as it did at the start, and nothing may be left behind.
//   npx tsc -b   then   node bench/soak.mjs [--quick] [--runs=2] [--only=<step name>,…] [--list]
// Before and after it records: the broker's queues (by type) and exchanges, its memory, Erlang process count and
// open ports (sockets + files), and the time of a fresh AMQP connect (median of 5). It prints one JSON object
// comparing start and end, lists the names present at the end that were not there at the start, and exits 1
// when a figure moved beyond its margin, a name is left, or a step failed.
//   --quick   one package's tests (libs/broker) and one short benchmark (webhooks, failures phase only)
// Reads the broker through the management API (RABBITMQ_MANAGEMENT_URL, default http://guest:guest@127.0.0.1:15672)
// or, without it, rabbitmqctl. "Left behind" = names under a namespace one of the steps created (each createTestEnv
// appends its namespace to the file WAHOOKS_TEST_NAMESPACES_FILE names), present in both end listings (SETTLE_MS
// apart); new names of other users of a shared broker are listed apart and not counted. The queue count, memory
// and process margins do see other users' load: run it on a quiet broker for a verdict on those.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RABBITMQ_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const QUICK = args.has('quick');
const RUNS = Number(args.get('runs') ?? 2);
const SETTLE_MS = Number(process.env.SOAK_SETTLE_MS ?? 15_000);
const STEP_TIMEOUT_MS = Number(process.env.SOAK_STEP_TIMEOUT_MS ?? 60 * 60_000);
/** Allowed growth from start to end; the margins absorb the broker's own churn (GC, stats, other users). */
const MARGINS = {
  queues: Number(process.env.SOAK_MARGIN_QUEUES ?? 0), // extra queues (any type)
  memoryFraction: Number(process.env.SOAK_MARGIN_MEMORY ?? 0.25), // of the start's memory
  processes: Number(process.env.SOAK_MARGIN_PROCESSES ?? 100), // Erlang processes
  connectMs: Number(process.env.SOAK_MARGIN_CONNECT_MS ?? 50), // added to max(start, 20 ms) x 2
};
/** Every createTestEnv of the steps (tests and benchmarks) appends its namespace here: "ours" vs other users'. */
const NAMESPACES_FILE = path.join(os.tmpdir(), `wahooks-soak-namespaces-${process.pid}`);
const log = (...a) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---- the broker's state ----------------------------------------------------------------------------------------
const management = (() => {
  const u = new URL(process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672');
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username || 'guest')}:${decodeURIComponent(u.password || 'guest')}`).toString('base64')}`;
  return async (p) => {
    const res = await fetch(`${u.protocol}//${u.host}${p}`, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`management API ${res.status} on ${p}`);
    return res.json();
  };
})();

async function viaManagement() {
  const [nodes, queues, exchanges] = await Promise.all([
    management('/api/nodes'),
    management('/api/queues?columns=name,type'),
    management('/api/exchanges?columns=name'),
  ]);
  const n = nodes[0];
  return {
    via: 'management',
    queues: queues.map((q) => ({ name: q.name, type: q.type })),
    exchanges: exchanges.map((x) => x.name),
    memoryBytes: n.mem_used,
    processes: n.proc_used,
    ports: n.fd_used, // file descriptors (sockets included)
  };
}

async function ctl(argv) {
  const { stdout } = await run('rabbitmqctl', ['-q', ...argv], { timeout: 120_000 });
  return stdout;
}
async function viaRabbitmqctl() {
  const [queues, exchanges, vm] = await Promise.all([
    ctl(['list_queues', 'name', 'type', '--no-table-headers']),
    ctl(['list_exchanges', 'name', '--no-table-headers']),
    ctl(['eval', '{erlang:memory(total), erlang:system_info(process_count), length(erlang:ports())}.']),
  ]);
  const [memoryBytes, processes, ports] = vm.match(/\d+/g).map(Number);
  return {
    via: 'rabbitmqctl',
    queues: queues
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const cols = l.split('\t');
        return { name: cols[0].trim(), type: (cols[1] ?? '').trim() };
      }),
    exchanges: exchanges
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    memoryBytes,
    processes,
    ports, // Erlang ports: sockets, files, pipes
  };
}

async function connectMs() {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const conn = await amqp.connect(RABBITMQ_URL, { timeout: 30_000 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await conn.close();
  }
  return +times.sort((a, b) => a - b)[2].toFixed(1);
}

async function brokerState() {
  let s;
  try {
    s = await viaManagement();
  } catch (err) {
    if (!/ECONNREFUSED|fetch failed/.test(`${err.message} ${err.cause?.code ?? ''}`)) throw err;
    s = await viaRabbitmqctl();
  }
  const byType = {};
  for (const q of s.queues) byType[q.type || 'classic'] = (byType[q.type || 'classic'] ?? 0) + 1;
  return {
    ...s,
    queueCount: s.queues.length,
    queuesByType: byType,
    connectMs: await connectMs(),
    at: new Date().toISOString(),
  };
}
const summary = ({ queues: _q, exchanges, ...rest }) => ({ ...rest, exchangeCount: exchanges.length });

// ---- the steps -------------------------------------------------------------------------------------------------
const npmTest = (label, cwd) => ({ name: label, cmd: 'npm', argv: ['test'], cwd });
const bench = (name, argv = [], env = {}) => ({
  name: `bench:${name}`,
  cmd: process.execPath,
  argv: [path.join('bench', `${name}.mjs`), ...argv],
  env,
});
const short = { BENCH_SECONDS: '4', BENCH_WARMUP_SECONDS: '1', BENCH_LATENCY_SECONDS: '4' };
const benches = [
  bench('api-auth', [], { ...short, BENCH_CONNECTIONS: '10' }),
  bench('send', [], { ...short, BENCH_CLIENTS: '4', BENCH_SESSIONS: '2' }),
  bench('sessions', ['10', '2', '2']),
  bench('stream', [], { ...short, BENCH_RATE: '50', BENCH_USERS: '5', BENCH_SOCKETS: '50', BENCH_RSS_SOCKETS: '50' }),
  bench('webhooks', [], { ...short, BENCH_RATE: '200', BENCH_LATENCY_RATE: '50' }),
  bench('emulator-sessions', ['20', '2', '2']),
  bench('inbound', ['5', '20', '8']),
];
const steps = QUICK
  ? [
      npmTest('test:libs/broker', path.join(root, 'libs/broker')),
      bench('webhooks', [], { ...short, BENCH_SKIP_THROUGHPUT: '1', BENCH_SKIP_LATENCY: '1' }),
    ]
  : [...Array.from({ length: RUNS }, (_, i) => npmTest(`test:all#${i + 1}`, root)), ...benches];
const only = args.get('only')?.split(',');
const selected = only ? steps.filter((s) => only.includes(s.name)) : steps;

if (args.has('list')) {
  for (const s of steps) console.log(`${s.name}\t${s.cmd} ${s.argv.join(' ')}`);
  process.exit(0);
}

/** Runs a step in its own process group, so a timeout ends its children too (they clean up on SIGTERM). */
function runStep(step) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(step.cmd, step.argv, {
      cwd: step.cwd ?? root,
      env: { ...process.env, ...step.env, WAHOOKS_TEST_NAMESPACES_FILE: NAMESPACES_FILE },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let tail = '';
    child.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
    const timer = setTimeout(() => {
      log(`${step.name}: timed out after ${STEP_TIMEOUT_MS} ms, SIGTERM to its process group`);
      process.kill(-child.pid, 'SIGTERM');
      setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 30_000).unref();
    }, STEP_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ name: step.name, code, signal, seconds: Math.round((Date.now() - t0) / 1000), tail });
    });
  });
}

// ---- main ------------------------------------------------------------------------------------------------------
const start = await brokerState();
log(
  `start: ${start.queueCount} queues ${JSON.stringify(start.queuesByType)}, ${start.exchanges.length} exchanges,`,
  `${(start.memoryBytes / 2 ** 20).toFixed(0)} MiB, ${start.processes} processes, connect ${start.connectMs} ms (${start.via})`,
);
const results = [];
for (const step of selected) {
  log(`${step.name} …`);
  const r = await runStep(step);
  log(`${step.name}: exit ${r.code ?? r.signal} in ${r.seconds} s`);
  results.push(r);
}
log(`settling ${SETTLE_MS} ms, then the end state (twice, ${SETTLE_MS} ms apart)`);
await new Promise((r) => setTimeout(r, SETTLE_MS));
const end1 = await brokerState();
await new Promise((r) => setTimeout(r, SETTLE_MS));
const end = await brokerState();

const before = { queues: new Set(start.queues.map((q) => q.name)), exchanges: new Set(start.exchanges) };
const firstEnd = { queues: new Set(end1.queues.map((q) => q.name)), exchanges: new Set(end1.exchanges) };
const newQueues = end.queues.filter((q) => !before.queues.has(q.name) && firstEnd.queues.has(q.name));
const newExchanges = end.exchanges.filter((x) => !before.exchanges.has(x) && firstEnd.exchanges.has(x));
let namespaces = [];
try {
  namespaces = [...new Set(readFileSync(NAMESPACES_FILE, 'utf8').split('\n').filter(Boolean))];
} catch {
  // no step created a test environment
}
rmSync(NAMESPACES_FILE, { force: true });
const isOurs = (name) => namespaces.some((ns) => name.startsWith(ns));
const leftQueues = newQueues.filter((q) => isOurs(q.name));
const leftExchanges = newExchanges.filter(isOurs);
const limits = {
  queueCount: start.queueCount + MARGINS.queues,
  memoryBytes: Math.round(start.memoryBytes * (1 + MARGINS.memoryFraction)),
  processes: start.processes + MARGINS.processes,
  connectMs: Math.max(start.connectMs, 20) * 2 + MARGINS.connectMs,
};
// The queue count without the queues other users created meanwhile (their names are not under our namespaces).
const othersQueues = newQueues.filter((q) => !isOurs(q.name)).length;
const measured = { ...end, queueCount: end.queueCount - othersQueues };
const beyond = Object.entries(limits)
  .filter(([k, limit]) => measured[k] > limit)
  .map(([k, limit]) => `${k} ${measured[k]} > ${limit}`);
const failedSteps = results.filter((r) => r.code !== 0);
const out = {
  quick: QUICK,
  steps: results.map(({ tail, ...r }) => (r.code === 0 ? r : { ...r, stderrTail: tail.split('\n').slice(-15) })),
  start: summary(start),
  end: summary(end),
  queueCountWithoutOthers: measured.queueCount,
  limits,
  margins: MARGINS,
  namespacesOfSteps: namespaces.length,
  leftBehind: { queues: leftQueues, exchanges: leftExchanges },
  // New names under namespaces the steps did not create: other users of a shared broker (not counted).
  newNamesOfOthers: [
    ...newQueues.filter((q) => !isOurs(q.name)).map((q) => q.name),
    ...newExchanges.filter((x) => !isOurs(x)),
  ],
  beyondMargin: beyond,
  ok: beyond.length === 0 && leftQueues.length === 0 && leftExchanges.length === 0,
  stepsOk: failedSteps.length === 0,
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
process.exit(out.ok && out.stepsOk ? 0 : 1); // a failed step (a red test) fails the soak too
