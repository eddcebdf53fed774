// Load generator: N real Baileys 7 clients, paired concurrently against ONE wa-emulator in a child process.
//   npm run build (or: npx tsc -b libs/wa-emulator)   then
//   node bench/emulator-sessions.mjs [sessions=500] [messagesPerSession=4] [clientProcesses=4] [pairConcurrency=4]
// The clients live in `clientProcesses` worker processes (emulator-sessions-worker.mjs) so that their Baileys/GC cost
// does not sit in one event loop; the emulator runs dist/main.js and is driven over its HTTP control API.
// Prints one JSON object (sessions paired, emulator RSS per session, inbound messages/s, wall times) and stops by
// itself (BENCH_TIMEOUT_MS, default 30 min: then it prints what it has with "timedOut": true and exits 1).
import { spawn } from 'node:child_process';
import { forkRpcWorker } from './emulator-process.mjs';
import { fileURLToPath } from 'node:url';

const SESSIONS = Number(process.argv[2] ?? 500);
const PER_SESSION = Number(process.argv[3] ?? 4);
const WORKERS = Math.max(1, Math.min(Number(process.argv[4] ?? 4), SESSIONS));
const PAIR_CONCURRENCY = Number(process.argv[5] ?? 4);
const INBOUND_CONCURRENCY = 16; // per worker
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const t0 = Date.now();
const progress = (...args) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...args);
const seconds = (ms) => +(ms / 1000).toFixed(2);

// ---- the emulator --------------------------------------------------------------------------------------------
const mainJs = fileURLToPath(new URL('../libs/wa-emulator/dist/main.js', import.meta.url));
const emulator = spawn(process.execPath, ['--expose-gc', mainJs], {
  env: { ...process.env, WA_EMULATOR_PORT: '0', WA_EMULATOR_AUTO_RECEIPT: 'none' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const listening = await new Promise((resolve, reject) => {
  let out = '';
  emulator.stdout.on('data', (chunk) => {
    out += chunk;
    const line = out.split('\n').find((l) => l.includes('"listening"'));
    if (line) resolve(JSON.parse(line));
  });
  emulator.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
});
const stats = async () => (await fetch(`${listening.control}/stats`)).json();

// ---- client worker processes ---------------------------------------------------------------------------------
const workers = Array.from({ length: WORKERS }, () => forkRpcWorker('./emulator-sessions-worker.mjs'));
const all = (op, argsFor) => Promise.all(workers.map((w, i) => w.rpc(op, argsFor(i))));
// session i belongs to worker i % WORKERS
const indexesOf = (w, from, to) => [...Array(to - from).keys()].map((k) => k + from).filter((i) => i % WORKERS === w);

const result = {
  sessionsRequested: SESSIONS,
  messagesPerSession: PER_SESSION,
  clientProcesses: WORKERS,
  pairConcurrency: PAIR_CONCURRENCY,
};
let finished = false;
const finish = async (code) => {
  if (finished) return;
  finished = true;
  result.totalWallS = seconds(Date.now() - t0);
  console.log(JSON.stringify(result, null, 2));
  await Promise.race([all('stop', () => ({})), new Promise((resolve) => setTimeout(resolve, 2000))]);
  for (const w of workers) w.child.kill('SIGTERM');
  emulator.kill('SIGTERM');
  setTimeout(() => process.exit(code), 300).unref();
};
setTimeout(() => {
  result.timedOut = true;
  void finish(1);
}, TIMEOUT_MS).unref();

await all('init', () => ({ url: listening.url, control: listening.control, rootKey: listening.rootKey }));
const baseline = await stats();
result.emulatorBaselineRssMB = baseline.rssMB;

// ---- pairing: a few warm-up sessions first (one-time JIT/WASM/protobuf costs), then the rest -------------------
const WARMUP = Math.min(2 * WORKERS, SESSIONS);
const pairStart = Date.now();
const pairErrors = [];
for (const [from, to] of [
  [0, WARMUP],
  [WARMUP, SESSIONS],
]) {
  const replies = await all('pair', (w) => ({ indexes: indexesOf(w, from, to), concurrency: PAIR_CONCURRENCY }));
  for (const r of replies) pairErrors.push(...r.errors);
  result.sessionsPaired = replies.reduce((n, r) => n + r.paired, 0);
  if (from === 0) result.warmupStats = await stats();
  progress(`${result.sessionsPaired} sessions online`);
}
const pairWall = Date.now() - pairStart;
result.pairErrors = pairErrors.slice(0, 5);
result.pairWallS = seconds(pairWall);
result.pairMsPerSession = Math.round(pairWall / Math.max(1, result.sessionsPaired));
const afterPair = await stats();
const warm = result.warmupStats;
delete result.warmupStats;
result.emulatorRssAfterPairMB = afterPair.rssMB;
result.emulatorRssPerSessionMB = +((afterPair.rssMB - baseline.rssMB) / Math.max(1, result.sessionsPaired)).toFixed(3);
result.emulatorRssMarginalPerSessionMB = +(
  (afterPair.rssMB - warm.rssMB) /
  Math.max(1, afterPair.accounts - warm.accounts)
).toFixed(3);
result.emulatorOpenConnections = afterPair.connections;

// ---- inbound: "cold" = each contact's first message (new identity + X3DH on both sides), then "warm" rounds ----
async function inboundRound(label, perSession) {
  const before = await stats();
  const start = Date.now();
  const replies = await all('inbound', () => ({ label, perSession, concurrency: INBOUND_CONCURRENCY }));
  const wall = Date.now() - start;
  const after = await stats();
  const sum = (key) => replies.reduce((n, r) => n + r[key], 0);
  const delivered = sum('delivered');
  progress(`inbound ${label}: ${delivered}/${sum('messages')} in ${wall} ms`);
  return {
    messages: sum('messages'),
    delivered,
    injectErrors: sum('errorCount'),
    firstErrors: replies.flatMap((r) => r.errors).slice(0, 3),
    wallS: seconds(wall),
    messagesPerSecond: Math.round((delivered / wall) * 1000),
    // emulator CPU per delivered message (control call + Signal encryption + framing): the emulator's own capacity
    emulatorCpuMsPerMessage: delivered ? +((after.cpuMs - before.cpuMs) / delivered).toFixed(2) : null,
  };
}
result.inboundCold = await inboundRound('cold', 1);
result.inbound = await inboundRound('warm', PER_SESSION);
const end = await stats();
result.emulatorRssEndMB = end.rssMB;
result.emulatorSignal = end.inbound;
const clientStats = await all('stats', () => ({}));
result.clientProcessesRssMB = clientStats.map((s) => s.rssMB);
const reconnects = clientStats.flatMap((s) => s.reconnects);
result.clientReconnects = { count: reconnects.length, codes: [...new Set(reconnects)] };
const ok = [result.inboundCold, result.inbound].every((r) => r.delivered === r.messages);
await finish(result.sessionsPaired === SESSIONS && ok ? 0 : 1);
