import { Agent } from 'node:https';
import pino from 'pino';
import makeWASocket, {
  DisconnectReason,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  type AuthenticationCreds,
  type BaileysEventMap,
  type ConnectionState,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import { createMemKeyStore, MEDIA_TLS_CERT_PEM, type Emulator, type MemKeyStore } from '../../src/index.js';

// libsignal prints whole session records (private keys included) with console.info("Closing session:", …)
console.info = () => undefined;
// libsignal also warns on every session replaced by a fresh prekey bundle (expected with Baileys 7 re-fetches)
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('Closing open session')) return;
  warn(...args);
};

const logger = pino({ level: process.env.BAILEYS_LOG ?? 'silent' });

export interface TestClient {
  sock: WASocket;
  creds: AuthenticationCreds;
  keys: MemKeyStore;
  updates: Partial<ConnectionState>[];
  messages: { type: string; message: WAMessage }[];
  statusUpdates: { id: string; status: number }[];
  events: { name: keyof BaileysEventMap; data: unknown }[];
  /** every connection close with its status code */
  closes: (number | undefined)[];
  opens: number;
  /** reconnect automatically after 515 (default true) */
  autoRestart: boolean;
  connect(): void;
  end(): void;
}

export interface ClientOptions {
  emulator: Pick<Emulator, 'url'>;
  creds?: AuthenticationCreds;
  keys?: MemKeyStore;
  /** scan each QR with this (default: no scanning) */
  onQr?: (qr: string, client: TestClient) => void;
  qrTimeout?: number;
}

/** A real Baileys 7 client with in-memory auth state that follows the 515 restart like a real app. */
export function createClient(options: ClientOptions): TestClient {
  const client: TestClient = {
    sock: undefined as unknown as WASocket,
    creds: options.creds ?? initAuthCreds(),
    keys: options.keys ?? createMemKeyStore(),
    updates: [],
    messages: [],
    statusUpdates: [],
    events: [],
    closes: [],
    opens: 0,
    autoRestart: true,
    connect,
    end: () => client.sock.end(undefined),
  };
  function connect(): void {
    const sock = makeWASocket({
      waWebSocketUrl: options.emulator.url,
      auth: { creds: client.creds, keys: makeCacheableSignalKeyStore(client.keys, logger) },
      logger,
      markOnlineOnConnect: false,
      connectTimeoutMs: 10_000,
      browser: ['WAHooks', 'Chrome', '1.0'],
      qrTimeout: options.qrTimeout,
      // trust the emulator's media upload host (fixed self-signed certificate)
      fetchAgent: new Agent({ ca: MEDIA_TLS_CERT_PEM }),
      // verify every app-state patch and snapshot MAC (Baileys' default checks none): the emulator's must be right
      appStateMacVerification: { patch: true, snapshot: true },
    });
    client.sock = sock;
    sock.ev.on('connection.update', (update) => {
      client.updates.push(update);
      if (update.qr) options.onQr?.(update.qr, client);
      if (update.connection === 'open') client.opens++;
      if (update.connection === 'close') {
        const code = (update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output
          ?.statusCode;
        client.closes.push(code);
        if (code === DisconnectReason.restartRequired && client.autoRestart) setTimeout(connect, 10);
      }
    });
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      for (const message of messages) {
        client.messages.push({ type, message });
        // Baileys' event buffer folds a receipt that arrives before the next flush into the own message's upsert
        if (message.key.fromMe && message.status != null)
          client.statusUpdates.push({ id: message.key.id!, status: message.status });
      }
    });
    sock.ev.on('messages.update', (updates) => {
      for (const u of updates)
        if (u.update.status != null) client.statusUpdates.push({ id: u.key.id!, status: u.update.status });
    });
    for (const name of [
      'messages.update',
      'presence.update',
      'messaging-history.set',
      'labels.edit',
      'labels.association',
    ] as const) {
      sock.ev.on(name, (data: unknown) => client.events.push({ name, data }));
    }
  }
  connect();
  return client;
}

export async function waitFor<T>(
  probe: () => T | undefined | false | null,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Pair a fresh client (QR → scan → 515 → open → history sync) and return it with its phone number. */
export async function pairClient(emulator: Emulator, phone?: string): Promise<{ client: TestClient; phone: string }> {
  let result: { phone: string } | undefined;
  const client = createClient({
    emulator,
    onQr: (qr) => {
      if (!result) void emulator.scan(qr, { phone }).then((r) => (result = r));
    },
  });
  await waitFor(() => client.opens > 0, 'connection open');
  await waitFor(() => client.events.some((e) => e.name === 'messaging-history.set'), 'history sync');
  return { client, phone: result!.phone };
}

export function messageById(client: TestClient, id: string): WAMessage | undefined {
  return client.messages.find((m) => m.message.key.id === id && m.message.message)?.message;
}
