/**
 * One WhatsApp session (one connection) on this replica: exactly one live Baileys socket at a time, a new
 * socket for every reconnect, auth state in Postgres under the owner's fencing token, and every Baileys
 * batch persisted (outbox + message window + chats) in one transaction as it is taken from the socket.
 */
import type { Agent } from 'node:https';
import makeWASocket, {
  downloadMediaMessage,
  jidDecode,
  makeCacheableSignalKeyStore,
  type BaileysEventMap,
  type GroupMetadata,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import type { Logger } from '@wahooks/telemetry';
import { useDatabaseAuthState, type DatabaseAuthState } from '../auth/database-auth-state.js';
import type { Sql } from '../db/sql.js';
import {
  buildEnvelope,
  contentOf,
  isUserMessage,
  mapCalls,
  mapChatsUpdate,
  mapMessagesUpdate,
  mapMessagesUpsert,
  mapPresence,
  mapReceiptUpdate,
  mapSessionStatus,
  mediaFileName,
  mediaOf,
  preferPn,
  toChatId,
  type ConnectionStatus,
  type MapContext,
  type MappedEvent,
  type Me,
  type StatusChange,
} from '../events/index.js';
import type { OutboxEntry } from '../outbox/outbox-repo.js';
import { decideOnClose, type BackoffOptions } from './reconnect-policy.js';
import { forgetSessionData, loadMessage, persistBatch, type ChatChange, type SessionBatch } from './session-store.js';
import { createGroupWriter, type GroupWriter } from './group-writer.js';
import { createTtlCache } from './ttl-cache.js';

export interface SessionConfig {
  waWebSocketUrl?: string;
  waVersion?: [number, number, number];
  browser?: [string, string, string];
  baileysLogLevel?: string; // default 'warn'
  fetchAgent?: Agent; // TLS agent for media uploads (the emulator's self-signed host in tests)
  engineVersion: string;
  connectTimeoutMs?: number;
  qrTimeoutMs?: number;
  backoff?: BackoffOptions;
}

export interface SessionIdentity {
  id: string; // connection id
  userId: string;
  sessionName: string;
}

export interface SessionOptions {
  sql: Sql;
  connection: SessionIdentity;
  fencingToken?: number;
  config: SessionConfig;
  logger: Logger;
  /** Called after each persisted batch, e.g. to wake the outbox relay. */
  onPersisted?: () => void;
  /** Diagnostics: every socket close with its Baileys status code. */
  onSocketClosed?: (statusCode: number | undefined) => void;
}

export class WhatsAppSession {
  readonly id: string;
  private sock?: WASocket;
  private auth?: DatabaseAuthState;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false; // lease lost or stopped: never touch the socket or the database again
  private ending = false; // we are ending the current socket ourselves
  private queue: Promise<void> = Promise.resolve();
  private statuses: StatusChange[] = [];
  private currentQr?: string;
  private readonly caches = {
    msgRetryCounterCache: createTtlCache(60 * 60_000),
    userDevicesCache: createTtlCache(5 * 60_000),
    callOfferCache: createTtlCache(5 * 60_000),
    placeholderResendCache: createTtlCache(60 * 60_000),
    signal: createTtlCache(5 * 60_000, 2000),
    groups: createTtlCache(10 * 60_000, 500),
  };
  private readonly log: Logger;
  private readonly baileysLog: Logger;
  private readonly writer: GroupWriter;
  private lastStatus?: ConnectionStatus;

  constructor(private readonly opts: SessionOptions) {
    this.id = opts.connection.id;
    this.log = opts.logger.child({ connectionId: this.id });
    this.baileysLog = this.log.child({ class: 'baileys' }, { level: opts.config.baileysLogLevel ?? 'warn' });
    this.writer = createGroupWriter(async (batch) => {
      await persistBatch(opts.sql, this.id, batch);
      if (batch.outbox.length) opts.onPersisted?.();
    }, this.log);
  }

  /** Current QR string while waiting to be scanned. */
  get qr(): string | undefined {
    return this.currentQr;
  }

  get status(): ConnectionStatus | undefined {
    return this.lastStatus;
  }

  /** The linked account from the current credentials (not the stale `sock.user`). */
  me(): Me | null {
    const me = this.auth?.state.creds.me;
    if (!me?.id || !this.auth?.isLinked()) return null;
    return { id: toChatId(me.id)!, ...(me.name ? { pushName: me.name } : {}) };
  }

  isLinked(): boolean {
    return this.auth?.isLinked() ?? false;
  }

  async start(initialStatus?: ConnectionStatus): Promise<void> {
    this.lastStatus = initialStatus;
    this.auth = await useDatabaseAuthState(this.opts.sql, this.id, { fencingToken: this.opts.fencingToken });
    if (!this.auth.isLinked()) await this.setStatus('pending');
    this.connect();
  }

  private connect(): void {
    if (this.closed || !this.auth) return;
    const { config } = this.opts;
    this.ending = false;
    this.currentQr = undefined;
    const auth = this.auth;
    const sock = makeWASocket({
      auth: {
        creds: auth.state.creds,
        keys: makeCacheableSignalKeyStore(auth.state.keys, this.baileysLog, this.caches.signal),
      },
      logger: this.baileysLog,
      markOnlineOnConnect: false,
      ...(config.waWebSocketUrl ? { waWebSocketUrl: config.waWebSocketUrl } : {}),
      ...(config.waVersion ? { version: config.waVersion } : {}),
      browser: config.browser ?? ['WAHooks', 'Chrome', '1.0'],
      ...(config.fetchAgent ? { fetchAgent: config.fetchAgent } : {}),
      connectTimeoutMs: config.connectTimeoutMs ?? 20_000,
      ...(config.qrTimeoutMs ? { qrTimeout: config.qrTimeoutMs } : {}),
      syncFullHistory: false,
      generateHighQualityLinkPreview: false,
      msgRetryCounterCache: this.caches.msgRetryCounterCache,
      userDevicesCache: this.caches.userDevicesCache,
      callOfferCache: this.caches.callOfferCache,
      placeholderResendCache: this.caches.placeholderResendCache,
      // Group sends need the participant list: keep it per session instead of a w:g2 query per send.
      // Only cache hits here: fetching inside this callback can stall Baileys' receive path (it awaits us).
      cachedGroupMetadata: async (jid) => this.caches.groups.get<GroupMetadata>(jid),
      getMessage: async (key) =>
        key.id ? ((await loadMessage(this.opts.sql, this.id, key.id))?.message ?? undefined) : undefined,
    });
    this.sock = sock;
    sock.ev.process((events) => {
      if (this.closed || this.sock !== sock) return;
      // Map and queue the batch for writing now, in arrival order (group commit); the rest of the handling
      // (creds, status, close) is chained so it also runs in order. Baileys does not await handlers.
      for (const g of events['groups.upsert'] ?? []) void this.caches.groups.set(g.id, g);
      for (const g of events['groups.update'] ?? []) if (g.id) void this.caches.groups.del(g.id);
      if (events['group-participants.update']) void this.caches.groups.del(events['group-participants.update'].id);
      let batch: SessionBatch;
      try {
        batch = this.mapBatch(events);
      } catch (err) {
        // A mapping bug must not lose the batch's other facts silently: log it, keep creds/status handling.
        this.log.error(
          { err: (err as Error).message, stack: (err as Error).stack, events: Object.keys(events) },
          'failed to map a Baileys batch',
        );
        batch = { outbox: [], messages: [], chats: [] };
      }
      const written = this.writer.enqueue(batch);
      written.catch((err: Error) => this.log.error({ err: err.message }, 'failed to persist a Baileys batch'));
      this.queue = this.queue
        .then(() => this.handle(sock, events, written))
        .catch((err: Error) => this.log.error({ err: err.message }, 'failed to handle a Baileys batch'));
    });
  }

  private async handle(sock: WASocket, events: Partial<BaileysEventMap>, written: Promise<void>): Promise<void> {
    if (this.closed) return;
    if (events['creds.update']) await this.auth!.saveCreds();

    const conn = events['connection.update'];
    if (conn?.qr) {
      await this.setStatus('scan_qr'); // durable first: whoever sees the QR also sees scan_qr
      this.currentQr = conn.qr;
    }
    if (conn?.connection === 'open') {
      this.attempt = 0;
      this.currentQr = undefined;
      await this.setStatus('working');
    }

    await written.catch(() => undefined); // logged where it was queued

    if (conn?.connection === 'close') await this.onClose(sock, conn.lastDisconnect?.error);
  }

  private mapContext(): MapContext {
    return {
      me: this.me(),
      mediaUrl: (file) => `/api/connections/${this.id}/media/${file}`,
      nowMs: Date.now,
    };
  }

  private mapBatch(events: Partial<BaileysEventMap>): SessionBatch {
    const ctx = this.mapContext();
    const mapped: MappedEvent[] = [];
    const messages: WAMessage[] = [];
    const chats: ChatChange[] = [];
    const upsert = events['messages.upsert'];
    if (upsert) {
      mapped.push(...mapMessagesUpsert(upsert, ctx));
      for (const m of upsert.messages) {
        if (!m.key?.remoteJid || !isUserMessage(m)) continue;
        messages.push(m);
        const chatId = toChatId(preferPn(m.key.remoteJid, m.key.remoteJidAlt));
        if (!chatId || chatId === 'status@broadcast') continue;
        const isGroup = chatId.endsWith('@g.us');
        chats.push({
          chatId,
          name: !m.key.fromMe && !isGroup ? (m.pushName ?? null) : null,
          conversationTimestamp: Number(m.messageTimestamp ?? 0),
          unreadIncrement: m.key.fromMe || upsert.type !== 'notify' ? 0 : 1,
        });
      }
    }
    if (events['messages.update']) mapped.push(...mapMessagesUpdate(events['messages.update'], ctx));
    if (events['message-receipt.update']) mapped.push(...mapReceiptUpdate(events['message-receipt.update'], ctx));
    if (events['presence.update']) mapped.push(...mapPresence(events['presence.update']));
    if (events.call) mapped.push(...mapCalls(events.call));
    if (events['chats.update']) {
      mapped.push(...mapChatsUpdate(events['chats.update'], ctx));
      for (const c of events['chats.update']) {
        const chatId = toChatId(c.id);
        if (!chatId) continue;
        chats.push({
          chatId,
          name: c.name ?? null,
          conversationTimestamp: c.conversationTimestamp ? Number(c.conversationTimestamp) : undefined,
          archived: typeof c.archived === 'boolean' ? c.archived : undefined,
        });
      }
    }
    for (const c of [...(events['chats.upsert'] ?? []), ...(events['messaging-history.set']?.chats ?? [])]) {
      const chatId = toChatId(c.id);
      if (chatId)
        chats.push({ chatId, name: c.name ?? null, conversationTimestamp: Number(c.conversationTimestamp ?? 0) });
    }
    const now = Date.now();
    const envCtx = {
      connectionId: this.id,
      userId: this.opts.connection.userId,
      session: this.opts.connection.sessionName,
      me: ctx.me,
      engineVersion: this.opts.config.engineVersion,
    };
    const outbox: OutboxEntry[] = mapped.map((m) => ({
      envelope: buildEnvelope(m, envCtx, now),
      dedupeKey: m.dedupeKey,
    }));
    return { outbox, messages, chats, deletedChats: events['chats.delete']?.map((j) => toChatId(j)!).filter(Boolean) };
  }

  /** Persists a status change with its `session.status` event, in one transaction. */
  private async setStatus(status: ConnectionStatus, reason?: string): Promise<void> {
    if (this.closed || status === this.lastStatus) return;
    this.lastStatus = status;
    this.statuses.push({ status, timestampMs: Date.now() });
    this.statuses = this.statuses.slice(-3);
    const me = this.me();
    const phone = status === 'working' && me ? (jidDecode(this.auth!.state.creds.me!.id)?.user ?? null) : undefined;
    const event = mapSessionStatus(this.statuses);
    const envelope = buildEnvelope(
      event,
      {
        connectionId: this.id,
        userId: this.opts.connection.userId,
        session: this.opts.connection.sessionName,
        me,
        engineVersion: this.opts.config.engineVersion,
      },
      Date.now(),
    );
    await this.opts.sql.transaction(async (tx) => {
      await tx.query(
        `UPDATE connection.connections SET status = $2, status_reason = $3,
           phone_number = COALESCE($4, phone_number), updated_at = now()
         WHERE id = $1 AND status <> 'stopped'`,
        [this.id, status, reason ?? null, phone ?? null],
      );
      await persistBatch(tx, this.id, { outbox: [{ envelope }], messages: [], chats: [] });
    });
    this.opts.onPersisted?.();
    this.log.info({ status, reason }, 'session status');
  }

  private async onClose(sock: WASocket, error: Error | undefined): Promise<void> {
    if (this.sock !== sock) return;
    const statusCode = (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
    this.opts.onSocketClosed?.(statusCode);
    const decision = decideOnClose(
      statusCode,
      { linked: this.isLinked(), attempt: this.attempt, intentional: this.ending || this.closed },
      this.opts.config.backoff,
    );
    this.log.info({ statusCode, decision: decision.action }, 'socket closed');
    switch (decision.action) {
      case 'none':
        return;
      case 'restart':
        this.connect();
        return;
      case 'backoff':
        this.attempt++;
        this.reconnectTimer = setTimeout(() => this.connect(), decision.delayMs);
        return;
      case 'wipe':
        await this.auth!.wipe();
        await forgetSessionData(this.opts.sql, this.id);
        await this.setStatus('failed', decision.reason);
        return;
      case 'stop':
        await this.setStatus('failed', decision.reason);
        return;
    }
  }

  /** Lease lost: close the socket at once and never write again (the new owner's fencing token wins anyway). */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.ending = true;
    void this.sock?.end(undefined);
    this.sock = undefined;
  }

  /** Graceful stop on this replica (shutdown, or handing the session to another replica). */
  async stop(): Promise<void> {
    this.close();
    await this.queue;
    await this.writer.idle();
  }

  /** Log the number out (best effort), wipe the auth state and stop: DELETE /connections/:id. */
  async logout(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.ending = true;
    const sock = this.sock;
    if (sock && this.isLinked())
      await sock.logout().catch((err: Error) => this.log.warn({ err: err.message }, 'logout failed'));
    this.close();
    await this.queue;
    await this.auth?.wipe();
    await forgetSessionData(this.opts.sql, this.id);
  }

  /** Force a new QR: log out if linked, wipe, and connect with fresh credentials. */
  async relink(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.ending = true;
    const sock = this.sock;
    if (sock && this.isLinked()) await sock.logout().catch(() => undefined);
    void sock?.end(undefined);
    await this.queue;
    if (this.closed) return;
    await this.auth!.wipe();
    await forgetSessionData(this.opts.sql, this.id);
    this.auth = await useDatabaseAuthState(this.opts.sql, this.id, { fencingToken: this.opts.fencingToken });
    this.attempt = 0;
    await this.setStatus('pending');
    this.connect();
  }

  /** A contact's picture URL (undefined when not connected, no picture, or hidden by privacy). */
  async profilePictureUrl(jid: string): Promise<string | undefined> {
    if (!this.sock || !this.me()) return undefined;
    return this.sock.profilePictureUrl(jid, 'preview');
  }

  /** Inbound media by file name (`<messageId>.<ext>`), downloaded and decrypted on demand. */
  async downloadMedia(fileName: string): Promise<{ data: Buffer; mimetype: string } | undefined> {
    const keyId = fileName.split('.')[0] ?? '';
    if (!/^[A-Za-z0-9]{1,128}$/.test(keyId)) return undefined;
    const msg = await loadMessage(this.opts.sql, this.id, keyId);
    const media = mediaOf(msg ? contentOf(msg) : undefined);
    if (!msg || !media || mediaFileName(msg.key.id ?? '', media.message.mimetype, media.type) !== fileName)
      return undefined;
    const data = await downloadMediaMessage(
      msg,
      'buffer',
      {},
      {
        logger: this.baileysLog,
        reuploadRequest: (m) =>
          this.sock ? this.sock.updateMediaMessage(m) : Promise.reject(new Error('session not connected')),
      },
    );
    return { data, mimetype: media.message.mimetype ?? 'application/octet-stream' };
  }
}
