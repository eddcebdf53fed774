// Load generator: N concurrently paired Baileys 7 clients (this process) against ONE wa-emulator in a child process.
//   npm run build (or: npx tsc -b libs/wa-emulator)  then
//   node bench/emulator-sessions.mjs [sessions=500] [messagesPerSession=4] [pairConcurrency=8]
// Prints one JSON object: sessions paired, emulator RSS per session, inbound messages/s, wall times. Stops by itself
// (BENCH_TIMEOUT_MS, default 20 min, then prints what it has with "timedOut": true and exits 1).
import { spawn } from 'node:child_process';
import { Agent } from 'node:https';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import makeWASocket, { DisconnectReason, initAuthCreds, makeCacheableSignalKeyStore } from '@whiskeysockets/baileys';
import { MEDIA_TLS_CERT_PEM, createMemKeyStore, trustEmulatorRoot } from '../libs/wa-emulator/dist/index.js';

const SESSIONS = Number(process.argv[2] ?? 500);
const PER_SESSION = Number(process.argv[3] ?? 4);
const PAIR_CONCURRENCY = Number(process.argv[4] ?? 8);
const INBOUND_CONCURRENCY = 64;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const logger = pino({ level: 'silent' });
console.info = () => undefined; // libsignal dumps session records (private keys included) via console.info
console.warn = () => undefined; // …and warns on every replaced session
const t0 = Date.now();
const progress = (...args) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...args);
const mb = (bytes) => +(bytes / 1048576).toFixed(1);

// ---- the emulator, in its own process, driven through its HTTP control API -------------------------------------
const mainJs = fileURLToPath(new URL('../libs/wa-emulator/dist/main.js', import.meta.url));
const child = spawn(process.execPath, ['--expose-gc', mainJs], {
  env: { ...process.env, WA_EMULATOR_PORT: '0', WA_EMULATOR_AUTO_RECEIPT: 'none' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const listening = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const line = out.split('\n').find((l) => l.includes('"listening"'));
    if (line) resolve(JSON.parse(line));
  });
  child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
});
const control = listening.control;
const call = async (method, path, body) => {
  const res = await fetch(`${control}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${json.message}`);
  return json;
};
trustEmulatorRoot(listening.rootKey);
const fetchAgent = new Agent({ ca: MEDIA_TLS_CERT_PEM });

const result = { sessionsRequested: SESSIONS, messagesPerSession: PER_SESSION, pairConcurrency: PAIR_CONCURRENCY };
const sessions = [];
const reconnects = [];
const FATAL = [DisconnectReason.loggedOut, DisconnectReason.forbidden, DisconnectReason.connectionReplaced];
let finished = false;
const finish = async (code) => {
  if (finished) return;
  finished = true;
  result.totalWallS = +((Date.now() - t0) / 1000).toFixed(1);
  console.log(JSON.stringify(result, null, 2));
  for (const s of sessions) s.sock?.end(undefined);
  child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 300).unref();
};
setTimeout(() => {
  result.timedOut = true;
  void finish(1);
}, TIMEOUT_MS).unref();

const baseline = await call('GET', '/stats');
result.emulatorBaselineRssMB = baseline.rssMB;

// ---- pair N clients: QR → scan → 515 → login → prekeys → open → history sync -------------------------------------
function link(i) {
  const phone = String(15550000000 + i);
  const creds = initAuthCreds();
  const keys = makeCacheableSignalKeyStore(createMemKeyStore(), logger);
  const session = { phone, received: new Set(), sock: undefined };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session ${i} did not come online in 120 s`)), 120_000);
    let scanned = false;
    const connect = () => {
      const sock = makeWASocket({
        waWebSocketUrl: listening.url,
        auth: { creds, keys },
        logger,
        markOnlineOnConnect: false,
        fetchAgent,
        browser: ['WAHooks bench', 'Chrome', '1.0'],
      });
      session.sock = sock;
      sock.ev.on('connection.update', (u) => {
        if (u.qr && !scanned) {
          scanned = true;
          call('POST', '/scan', { qr: u.qr, phone }).catch(reject);
        }
        if (u.connection === 'close') {
          const code = u.lastDisconnect?.error?.output?.statusCode;
          if (finished || code === undefined) return; // sock.end(undefined): ours
          if (code === DisconnectReason.restartRequired) connect();
          else if (session.online && !FATAL.includes(code)) {
            // e.g. 408 keep-alive timeouts while this process is saturated: reconnect like a real app
            reconnects.push(code);
            setTimeout(connect, 500);
          } else reject(new Error(`session ${i} closed with ${code}: ${u.lastDisconnect?.error?.message}`));
        }
      });
      sock.ev.on('messaging-history.set', () => {
        clearTimeout(timer);
        session.online = true;
        resolve(session);
      });
      sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) if (!m.key.fromMe && m.message) session.received.add(m.key.id);
      });
    };
    connect();
  });
}

async function pool(items, concurrency, fn) {
  let next = 0;
  const errors = [];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        try {
          await fn(item);
        } catch (error) {
          errors.push(error.message);
        }
      }
    }),
  );
  return errors;
}

const pairStart = Date.now();
const pairOne = async (i) => {
  sessions.push(await link(i));
  if (sessions.length % 50 === 0) progress(`${sessions.length} sessions online`);
};
// the first WARMUP sessions carry one-time costs (JIT, WASM, protobuf paths): measure the marginal cost after them
const WARMUP = Math.min(10, SESSIONS);
const pairErrors = await pool([...Array(WARMUP).keys()], PAIR_CONCURRENCY, pairOne);
const afterWarmup = await call('GET', '/stats');
const warmSessions = sessions.length;
pairErrors.push(...(await pool([...Array(SESSIONS).keys()].slice(WARMUP), PAIR_CONCURRENCY, pairOne)));
result.sessionsPaired = sessions.length;
result.pairErrors = pairErrors.slice(0, 5);
result.pairWallS = +((Date.now() - pairStart) / 1000).toFixed(1);
result.pairPerSessionMs = sessions.length ? Math.round((Date.now() - pairStart) / sessions.length) : null;
const afterPair = await call('GET', '/stats');
result.emulatorRssAfterPairMB = afterPair.rssMB;
result.emulatorRssPerSessionMB = sessions.length
  ? +((afterPair.rssMB - baseline.rssMB) / sessions.length).toFixed(3)
  : null;
result.emulatorRssMarginalPerSessionMB =
  sessions.length > warmSessions
    ? +((afterPair.rssMB - afterWarmup.rssMB) / (sessions.length - warmSessions)).toFixed(3)
    : null;
result.emulatorOpenConnections = afterPair.connections;
progress(`paired ${sessions.length}/${SESSIONS}; emulator RSS ${afterPair.rssMB} MB`);

// ---- inbound: every session receives texts from its own contact, Signal-encrypted by the emulator ------------
// round "cold": the first message of each contact (new contact identity + X3DH session setup on both sides);
// round "warm": PER_SESSION more messages on the established sessions (steady state)
async function inboundRound(label, perSession) {
  const jobs = sessions.flatMap((s, i) =>
    Array.from({ length: perSession }, (_, k) => ({ s, from: String(4930000000000 + i), text: `${label} ${i}/${k}` })),
  );
  const before = await call('GET', '/stats');
  const start = Date.now();
  const injectErrors = await pool(jobs, INBOUND_CONCURRENCY, async (job) => {
    const { id } = await call('POST', '/inbound', { to: job.s.phone, from: job.from, type: 'text', text: job.text });
    job.id = id;
  });
  const injectedAt = Date.now();
  const delivered = () => jobs.filter((j) => j.id && j.s.received.has(j.id)).length;
  while (delivered() < jobs.length - injectErrors.length && Date.now() - start < 300_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const wall = Date.now() - start;
  const after = await call('GET', '/stats');
  progress(`inbound ${label}: ${delivered()}/${jobs.length} in ${wall} ms`);
  return {
    messages: jobs.length,
    delivered: delivered(),
    injectErrors: injectErrors.slice(0, 5),
    injectWallS: +((injectedAt - start) / 1000).toFixed(2),
    wallS: +(wall / 1000).toFixed(2),
    messagesPerSecond: Math.round((delivered() / wall) * 1000),
    // emulator CPU per delivered message (HTTP control call + Signal encryption + framing): its own capacity
    emulatorCpuMsPerMessage: delivered() ? +((after.cpuMs - before.cpuMs) / delivered()).toFixed(2) : null,
  };
}
result.inboundCold = await inboundRound('cold', 1);
result.inbound = await inboundRound('warm', PER_SESSION);
const end = await call('GET', '/stats');
result.emulatorRssEndMB = end.rssMB;
result.emulatorSignal = end.inbound;
result.clientProcessRssMB = mb(process.memoryUsage().rss);
result.clientReconnects = { count: reconnects.length, codes: [...new Set(reconnects)] };
const allDelivered = [result.inboundCold, result.inbound].every((r) => r.delivered === r.messages);
await finish(result.sessionsPaired === SESSIONS && allDelivered ? 0 : 1);
