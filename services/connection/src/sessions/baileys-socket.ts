/**
 * One Baileys socket of a session: how it is opened (WhatsApp endpoint, version, TLS agent, timeouts, auth
 * keys) and the per-session caches Baileys reads on every socket, which outlive reconnects.
 */
import type { Agent } from 'node:https';
import makeWASocket, {
  makeCacheableSignalKeyStore,
  type BaileysEventMap,
  type GroupMetadata,
  type SignalKeyStoreWithTransaction,
  type WAMessageKey,
  type WASocket,
  type proto,
} from '@whiskeysockets/baileys';
import type { Logger } from '@wahooks/telemetry';
import type { DatabaseAuthState } from '../auth/database-auth-state.js';
import type { BackoffOptions } from './reconnect-policy.js';
import { createTtlCache } from './ttl-cache.js';
import type { MediaDownloadPolicy } from './media-download.js';

export interface SessionConfig {
  waWebSocketUrl?: string;
  waVersion?: [number, number, number];
  browser?: [string, string, string];
  baileysLogLevel?: string; // default 'warn'
  fetchAgent?: Agent; // TLS agent for media uploads (the emulator's self-signed host in tests)
  /** Inbound media: allowed hosts, deadlines, TLS agent (sessions/media-download.ts); default WhatsApp's hosts. */
  mediaDownload?: MediaDownloadPolicy;
  engineVersion: string;
  connectTimeoutMs?: number;
  qrTimeoutMs?: number;
  backoff?: BackoffOptions;
}

/** TTLs in ms; `signal` and `groups` are also capped in entries. */
export function createSessionCaches() {
  return {
    msgRetryCounterCache: createTtlCache(60 * 60_000),
    userDevicesCache: createTtlCache(5 * 60_000),
    callOfferCache: createTtlCache(5 * 60_000),
    placeholderResendCache: createTtlCache(60 * 60_000),
    signal: createTtlCache(5 * 60_000, 2000),
    groups: createTtlCache(10 * 60_000, 500),
  };
}
export type SessionCaches = ReturnType<typeof createSessionCaches>;

export interface OpenSocketOptions {
  auth: DatabaseAuthState;
  config: SessionConfig;
  caches: SessionCaches;
  logger: Logger; // Baileys' own logger (its level is the session's baileysLogLevel)
  /** A message this session kept, for Baileys' resends and retries. */
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
  /** True once the session is closed on this replica (lease lost, handed over, shutdown): no new key transaction. */
  retired(): boolean;
}

export function openSocket({ auth, config, caches, logger, getMessage, retired }: OpenSocketOptions): WASocket {
  const sock = makeWASocket({
    auth: {
      creds: auth.state.creds,
      keys: makeCacheableSignalKeyStore(auth.state.keys, logger, caches.signal),
    },
    logger,
    markOnlineOnConnect: false,
    ...(config.waWebSocketUrl ? { waWebSocketUrl: config.waWebSocketUrl } : {}),
    ...(config.waVersion ? { version: config.waVersion } : {}),
    browser: config.browser ?? ['WAHooks', 'Chrome', '1.0'],
    ...(config.fetchAgent ? { fetchAgent: config.fetchAgent } : {}),
    connectTimeoutMs: config.connectTimeoutMs ?? 20_000,
    ...(config.qrTimeoutMs ? { qrTimeout: config.qrTimeoutMs } : {}),
    syncFullHistory: false,
    generateHighQualityLinkPreview: false,
    msgRetryCounterCache: caches.msgRetryCounterCache,
    userDevicesCache: caches.userDevicesCache,
    callOfferCache: caches.callOfferCache,
    placeholderResendCache: caches.placeholderResendCache,
    // Group sends need the participant list: keep it per session instead of a w:g2 query per send.
    // Only cache hits here: fetching inside this callback can stall Baileys' receive path (it awaits us).
    cachedGroupMetadata: async (jid) => caches.groups.get<GroupMetadata>(jid),
    getMessage,
  });
  serialiseKeyTransactions(sock, retired);
  return sock;
}

/**
 * One Signal key transaction at a time per socket, and none once the socket is retired.
 *
 * Baileys keys its transaction mutex by the caller's choice: a send by our own id, a decrypt by the sender's jid.
 * Each transaction reads the contact's session record into its own cache and writes the whole record back when
 * it commits, so a send and a decrypt for the same contact that overlap both start from the same record and the
 * later commit silently drops the other's ratchet step: the contact's next message (or ours) no longer decrypts
 * ("Bad MAC", message.waiting). libsignal's per-address queue orders the two in memory but not their commits.
 * One mutex for every transaction of the socket closes that window; nested transactions still join the open
 * one (Baileys tracks them in AsyncLocalStorage). `sock.authState.keys` is the very object the signal
 * repository holds (Baileys' socket.js), so the override reaches every caller.
 *
 * A transaction that would start after the socket is retired fails instead: that socket can no longer send or
 * acknowledge anything, so nothing it would compute matters, and its commit could land after the next owner
 * has read the keys, leaving that one an older ratchet than the contact has seen. The one in progress at that
 * moment may have sent its stanza already: it runs to its commit (keyTransactionsSettled).
 * Tested by test/concurrent-ratchet.test.ts and e2e/test/scaling.test.ts.
 */
const SOCKET_TRANSACTION = 'wahooks:one-transaction-per-socket';
const unguarded = new WeakMap<WASocket, SignalKeyStoreWithTransaction['transaction']>();

export class RetiredSocketError extends Error {
  constructor() {
    super('socket retired: no new Signal key transaction');
    this.name = 'RetiredSocketError';
  }
}

function serialiseKeyTransactions(sock: WASocket, retired: () => boolean): void {
  const keys = sock.authState.keys;
  const transaction = keys.transaction.bind(keys);
  unguarded.set(sock, transaction);
  // Not a key type name: Baileys also keys the mutex that guards a transaction's reads by type ('session', …)
  // in the same map, and a transaction under that name would wait for itself.
  keys.transaction = (work, _key) =>
    transaction(() => (retired() ? Promise.reject(new RetiredSocketError()) : work()), SOCKET_TRANSACTION);
}

/**
 * Resolves once the socket's key transaction in progress (if any) has committed or failed, or after
 * `timeoutMs`. A send commits its advanced ratchet after the stanza has left, so a session handed over
 * without this wait could leave the next owner an older chain than the one the contact has already seen.
 */
export async function keyTransactionsSettled(sock: WASocket, timeoutMs: number): Promise<void> {
  const transaction = unguarded.get(sock);
  if (!transaction) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  const settled = transaction(async () => undefined, SOCKET_TRANSACTION).catch(() => undefined);
  await Promise.race([settled, timedOut]);
  clearTimeout(timer);
}

/** Keeps the group metadata cache in step with a Baileys batch: new groups in, changed groups out. */
export function trackGroups(caches: SessionCaches, events: Partial<BaileysEventMap>): void {
  for (const g of events['groups.upsert'] ?? []) void caches.groups.set(g.id, g);
  for (const g of events['groups.update'] ?? []) if (g.id) void caches.groups.del(g.id);
  if (events['group-participants.update']) void caches.groups.del(events['group-participants.update'].id);
}
