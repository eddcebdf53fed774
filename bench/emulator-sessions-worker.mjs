// One client process of bench/emulator-sessions.mjs: holds `count` real Baileys 7 sessions, driven over IPC.
import { Agent } from 'node:https';
import pino from 'pino';
import makeWASocket, { DisconnectReason, initAuthCreds, makeCacheableSignalKeyStore } from '@whiskeysockets/baileys';
import { createMemKeyStore } from '../libs/wa-emulator/dist/index.js';
import { MEDIA_TLS_CERT_PEM, trustServerRootKey } from '../libs/wa-trust/dist/index.js';

console.info = () => undefined; // libsignal dumps session records (private keys included) via console.info
console.warn = () => undefined; // …and warns on every replaced session
const logger = pino({ level: 'silent' });
const FATAL = [DisconnectReason.loggedOut, DisconnectReason.forbidden, DisconnectReason.connectionReplaced];
let config;
let fetchAgent;
const sessions = [];
const reconnects = [];
let stopping = false;

const call = async (method, path, body) => {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${config.control}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await res.json();
      if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${json.message}`), { final: true });
      return json;
    } catch (error) {
      if (error.final || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
};

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

// QR → scan → 515 → login → prekeys → open → history sync (Online); later closes reconnect like a real app
function link(index) {
  const phone = String(15550000000 + index);
  const creds = initAuthCreds();
  const keys = makeCacheableSignalKeyStore(createMemKeyStore(), logger);
  const session = { index, phone, received: new Set(), online: false, sock: undefined };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session ${index} not online after 180 s`)), 180_000);
    let scanned = false;
    const connect = () => {
      const sock = makeWASocket({
        waWebSocketUrl: config.url,
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
        if (u.connection !== 'close') return;
        const code = u.lastDisconnect?.error?.output?.statusCode;
        if (stopping || code === undefined) return;
        if (code === DisconnectReason.restartRequired) connect();
        else if (session.online && !FATAL.includes(code)) {
          reconnects.push(code); // e.g. 408 keep-alive misses while this process is saturated
          setTimeout(connect, 500);
        } else reject(new Error(`session ${index} closed with ${code}: ${u.lastDisconnect?.error?.message}`));
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

const handlers = {
  init(message) {
    config = message;
    trustServerRootKey(config.rootKey);
    fetchAgent = new Agent({ ca: MEDIA_TLS_CERT_PEM });
    return {};
  },
  async pair({ indexes, concurrency }) {
    const errors = await pool(indexes, concurrency, async (index) => sessions.push(await link(index)));
    return { paired: sessions.length, errors: errors.slice(0, 3), errorCount: errors.length };
  },
  async inbound({ label, perSession, concurrency }) {
    const jobs = sessions.flatMap((s) =>
      Array.from({ length: perSession }, (_, k) => ({
        s,
        from: String(4930000000000 + s.index),
        text: `${label} ${k}`,
      })),
    );
    const start = Date.now();
    const errors = await pool(jobs, concurrency, async (job) => {
      const { id } = await call('POST', '/inbound', { to: job.s.phone, from: job.from, type: 'text', text: job.text });
      job.id = id;
    });
    const delivered = () => jobs.filter((j) => j.id && j.s.received.has(j.id)).length;
    while (delivered() < jobs.length - errors.length && Date.now() - start < 300_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { messages: jobs.length, delivered: delivered(), errors: errors.slice(0, 3), errorCount: errors.length };
  },
  /** Inbound messages every session has received so far (bench/inbound.mjs injects them itself). */
  received() {
    return { count: sessions.reduce((n, s) => n + s.received.size, 0) };
  },
  stats() {
    return { rssMB: +(process.memoryUsage().rss / 1048576).toFixed(1), reconnects };
  },
  stop() {
    stopping = true;
    for (const s of sessions) s.sock?.end(undefined);
    setTimeout(() => process.exit(0), 200);
    return {};
  },
};

process.on('message', async (message) => {
  try {
    process.send({ id: message.id, ...(await handlers[message.op](message)) });
  } catch (error) {
    process.send({ id: message.id, error: error.message });
  }
});
