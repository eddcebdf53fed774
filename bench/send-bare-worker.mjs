// The bare ceiling of bench/send.mjs: real Baileys 7 sockets (in-memory auth) linked to the same emulator,
// calling sock.sendMessage directly, no service in between. Driven over IPC by the orchestrator.
import { Agent } from 'node:https';
import pino from 'pino';
import makeWASocket, { DisconnectReason, initAuthCreds, makeCacheableSignalKeyStore } from '@whiskeysockets/baileys';
import { createMemKeyStore } from '../libs/wa-emulator/dist/index.js';
import { MEDIA_TLS_CERT_PEM, trustServerRootKey } from '../libs/wa-trust/dist/index.js';
import { runClosedLoop, runOpenLoop } from './send-load.mjs';

console.info = () => undefined; // libsignal dumps session records (private keys included) via console.info
console.warn = () => undefined;
const logger = pino({ level: 'silent' });
let config;
const sessions = [];

async function control(method, path, body) {
  const res = await fetch(`${config.control}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${json.message}`);
  return json;
}

// QR → scan → 515 → login → history sync (online), like the connection service's sessions
function link(index) {
  const creds = initAuthCreds();
  const keys = makeCacheableSignalKeyStore(createMemKeyStore(), logger);
  const session = { index, sock: undefined, phone: undefined };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare session ${index} not online after 120 s`)), 120_000);
    let scanned = false;
    const connect = () => {
      const sock = makeWASocket({
        waWebSocketUrl: config.url,
        auth: { creds, keys },
        logger,
        markOnlineOnConnect: false,
        fetchAgent: new Agent({ ca: MEDIA_TLS_CERT_PEM }),
        browser: ['WAHooks bench', 'Chrome', '1.0'],
        syncFullHistory: false,
        generateHighQualityLinkPreview: false,
      });
      session.sock = sock;
      sock.ev.on('connection.update', (u) => {
        if (u.qr && !scanned) {
          scanned = true;
          control('POST', '/scan', { qr: u.qr })
            .then((r) => (session.phone = r.phone))
            .catch(reject);
        }
        if (u.connection !== 'close') return;
        const code = u.lastDisconnect?.error?.output?.statusCode;
        if (code === DisconnectReason.restartRequired) connect();
        else if (code !== undefined) reject(new Error(`bare session ${index} closed with ${code}`));
      });
      sock.ev.on('messaging-history.set', () => {
        clearTimeout(timer);
        resolve(session);
      });
    };
    connect();
  });
}

const handlers = {
  async init(message) {
    config = message;
    trustServerRootKey(config.rootKey);
    for (let i = 0; i < config.sessions; i++) sessions.push(await link(i));
    return { phones: sessions.map((s) => s.phone) };
  },
  // One target per client: its own socket (client i → session i % sessions) and its own chat.
  async load({ mode, clients, seconds, rate, label, contacts }) {
    const send = async (client, n) => {
      const session = sessions[client % sessions.length];
      const jid = `${contacts[client]}@s.whatsapp.net`;
      await session.sock.sendMessage(jid, { text: `${label} ${client}:${n}`, linkPreview: null });
    };
    return mode === 'open' ? runOpenLoop(send, { clients, seconds, rate }) : runClosedLoop(send, { clients, seconds });
  },
  stop() {
    for (const s of sessions) s.sock?.end(undefined);
    setTimeout(() => process.exit(0), 200);
    return {};
  },
};

process.on('message', async (message) => {
  try {
    process.send({ id: message.id, ...(await handlers[message.op](message)) });
  } catch (error) {
    process.send({ id: message.id, error: error.stack ?? error.message });
  }
});
