/**
 * One WhatsApp session (one connection) on this replica: the socket lifecycle. Exactly one live Baileys socket
 * at a time, a new socket for every reconnect, auth state in Postgres under the owner's fencing token, and every
 * Baileys batch persisted (outbox + message window + chats) in one transaction as it is taken from the socket.
 * Opening a socket: baileys-socket.ts; mapping a batch: batch-intake.ts; status writes: session-status.ts;
 * media downloads: inbound-media.ts; the linked account: linked-account.ts.
 */
import type { BaileysEventMap, WASocket } from '@whiskeysockets/baileys';
import type { Logger } from '@wahooks/telemetry';
import { useDatabaseAuthState, type DatabaseAuthState } from '../auth/database-auth-state.js';
import type { Sql } from '@wahooks/db';
import {
  buildEnvelope,
  mapSessionStatus,
  type ConnectionStatus,
  type EnvelopeContext,
  type MapContext,
  type MappedEvent,
  type Me,
  type StatusChange,
} from '../events/index.js';
import {
  createSessionCaches,
  keyTransactionsSettled,
  openSocket,
  trackGroups,
  type SessionConfig,
} from './baileys-socket.js';
import { mapSessionBatch } from './batch-intake.js';
import { traceBatch } from './batch-span.js';
import { createGroupWriter, type GroupWriter } from './group-writer.js';
import { downloadInboundMedia } from './inbound-media.js';
import { DEFAULT_MEDIA_POLICY, mediaRefusal } from './media-download.js';
import { linkedAccount, linkedPhone } from './linked-account.js';
import { decideOnClose } from './reconnect-policy.js';
import { forgetSessionData, loadMessage, persistBatch, type SessionBatch } from './session-store.js';
import { persistStatus } from './session-status.js';
import { pollVoteEvents } from './poll-votes.js';
import { hasLabelEvents, writeLabelEvents } from './label-events.js';
import { createTtlCache } from './ttl-cache.js';

export type { SessionConfig } from './baileys-socket.js';

/** How long a closed session still retries writing the batches it took from WhatsApp (ms), before giving up. */
const WRITES_AFTER_CLOSE_MS = 30_000;
/** How long a stop waits for the key transaction in progress (a send's ratchet commit) before it goes on (ms). */
const KEY_COMMIT_WAIT_MS = 5_000;

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
  private endedSock?: WASocket; // the socket close() ended: stop() waits for its last key transaction
  private auth?: DatabaseAuthState;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false; // lease lost or stopped: never touch the socket or the database again
  private closedAt = 0; // Date.now() of close()
  private ending = false; // we are ending the current socket ourselves
  private queue: Promise<void> = Promise.resolve();
  private statuses: StatusChange[] = [];
  private currentQr?: string;
  private readonly caches = createSessionCaches();
  private readonly apiSends = createTtlCache(10 * 60_000, 5000); // ids sent through the API, recently
  private readonly log: Logger;
  private readonly baileysLog: Logger;
  private readonly writer: GroupWriter;
  private lastStatus?: ConnectionStatus;

  constructor(private readonly opts: SessionOptions) {
    this.id = opts.connection.id;
    this.log = opts.logger.child({ connectionId: this.id });
    this.baileysLog = this.log.child({ class: 'baileys' }, { level: opts.config.baileysLogLevel ?? 'warn' });
    // Batches already acked to WhatsApp wait out a database outage (group-writer.ts), even a little past close().
    this.writer = createGroupWriter(
      async (batch) => {
        await persistBatch(opts.sql, this.id, batch);
        if (batch.outbox.length) opts.onPersisted?.();
      },
      this.log,
      { cancelled: () => this.closed && Date.now() - this.closedAt > WRITES_AFTER_CLOSE_MS },
    );
  }

  /** Auth state and status writes wait out a database outage while the session is open (see database-auth-state.ts). */
  private readonly untilDurable = {
    cancelled: () => this.closed,
    onRetry: (err: unknown, failures: number) => {
      if (failures <= 3 || failures % 10 === 0)
        this.log.warn({ err: (err as Error).message, failures }, 'database unavailable; the session waits for it');
    },
  };

  /** Current QR string while waiting to be scanned. */
  get qr(): string | undefined {
    return this.currentQr;
  }

  get status(): ConnectionStatus | undefined {
    return this.lastStatus;
  }

  /** The current Baileys socket, for the outbound sends (sessions/outbound/); undefined once closed. */
  get socket(): WASocket | undefined {
    return this.sock;
  }

  /** A message id about to be sent through the API: its events say `source: "api"` (WAHA). */
  markSentByApi(keyId: string): void {
    void this.apiSends.set(keyId, true); // synchronous (ttl-cache.ts); typed as maybe-async by Baileys
  }

  /** The linked account from the current credentials (not the stale `sock.user`). */
  me(): Me | null {
    return linkedAccount(this.auth);
  }

  isLinked(): boolean {
    return this.auth?.isLinked() ?? false;
  }

  async start(initialStatus?: ConnectionStatus): Promise<void> {
    this.lastStatus = initialStatus;
    this.auth = await useDatabaseAuthState(this.opts.sql, this.id, {
      fencingToken: this.opts.fencingToken,
      retry: this.untilDurable,
    });
    if (!this.auth.isLinked()) {
      // A new registration socket (new QR): STARTING even when the row already says pending, as WAHA does.
      this.lastStatus = undefined;
      await this.setStatus('pending');
    }
    this.connect();
  }

  private connect(): void {
    if (this.closed || !this.auth) return;
    this.ending = false;
    this.currentQr = undefined;
    // An unused pairing code left creds.me behind (Baileys writes it on request): register again, do not log in.
    if (!this.auth.isLinked() && this.auth.state.creds.me) this.auth.state.creds.me = undefined;
    const sock = openSocket({
      auth: this.auth,
      config: this.opts.config,
      caches: this.caches,
      logger: this.baileysLog,
      // by chat, sender and id: never a message someone else sent with the same id (session-store.ts)
      getMessage: async (key) => (await loadMessage(this.opts.sql, this.id, key))?.message ?? undefined,
      retired: () => this.closed,
    });
    this.sock = sock;
    sock.ev.process((events) => {
      if (this.closed || this.sock !== sock) return;
      // Map and queue the batch for writing now, in arrival order (group commit); the rest of the handling
      // (creds, status, close) is chained so it also runs in order. Baileys does not await handlers.
      trackGroups(this.caches, events);
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
      const written = traceBatch(this.id, events, batch, (b) => this.writer.enqueue(b));
      written.catch((err: Error) =>
        this.log.error(
          { err: err.message, lost: batch.outbox.map((o) => o.envelope.id) },
          'failed to persist a Baileys batch; its events are lost',
        ),
      );
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
    if (events['messages.upsert']) await this.writePollVotes(events['messages.upsert']);
    if (hasLabelEvents(events)) await this.writeLabelEvents(events);

    if (conn?.connection === 'close') await this.onClose(sock, conn.lastDisconnect?.error);
  }

  /** poll.vote events of a batch, decrypted against the polls in the message store (written by then). */
  private async writePollVotes(upsert: BaileysEventMap['messages.upsert']): Promise<void> {
    const me = this.auth?.state.creds.me;
    const ctx: MapContext = { me: this.me(), connectionId: this.id, nowMs: Date.now };
    const mapped = await pollVoteEvents(upsert, {
      loadMessage: (key) => loadMessage(this.opts.sql, this.id, key),
      me: { pn: me?.id, lid: me?.lid },
      ctx,
    }).catch((err: Error) => (this.log.error({ err: err.message }, 'failed to read poll votes'), []));
    if (!mapped.length) return;
    const envelope = this.envelopeContext(ctx.me ?? null);
    const outbox = mapped.map((m) => ({ envelope: buildEnvelope(m, envelope, Date.now()), dedupeKey: m.dedupeKey }));
    await this.writer
      .enqueue({ outbox, messages: [], chats: [] })
      .catch((err: Error) => this.log.error({ err: err.message }, 'failed to persist poll votes'));
  }

  /** label.* events of a batch with the label change, in one transaction (sessions/label-events.ts). */
  private async writeLabelEvents(events: Partial<BaileysEventMap>): Promise<void> {
    const envelope = this.envelopeContext(this.me());
    const toOutbox = (m: MappedEvent) => ({ envelope: buildEnvelope(m, envelope, Date.now()), dedupeKey: m.dedupeKey });
    const written = await writeLabelEvents(events, this.opts.sql, this.id, toOutbox, this.untilDurable).catch(
      (err: Error) => (this.log.error({ err: err.message }, 'failed to write label events'), 0),
    );
    if (written) this.opts.onPersisted?.();
  }

  /** What every event envelope of this session says about it, as of now. */
  private envelopeContext(me: Me | null): EnvelopeContext {
    return {
      connectionId: this.id,
      userId: this.opts.connection.userId,
      session: this.opts.connection.sessionName,
      me,
      engineVersion: this.opts.config.engineVersion,
    };
  }

  private mapBatch(events: Partial<BaileysEventMap>): SessionBatch {
    const ctx: MapContext = {
      me: this.me(),
      connectionId: this.id,
      sentByApi: (keyId) => this.apiSends.get(keyId) !== undefined,
      mediaRefusal: (media) => mediaRefusal(media, this.opts.config.mediaDownload ?? DEFAULT_MEDIA_POLICY),
      nowMs: Date.now,
    };
    return mapSessionBatch(events, ctx, this.envelopeContext(ctx.me ?? null));
  }

  /** Persists a status change with its `session.status` event, in one transaction. */
  private async setStatus(status: ConnectionStatus, reason?: string): Promise<void> {
    if (this.closed || status === this.lastStatus) return;
    this.lastStatus = status;
    this.statuses.push({ status, timestampMs: Date.now() });
    this.statuses = this.statuses.slice(-3);
    const event = buildEnvelope(mapSessionStatus(this.statuses), this.envelopeContext(this.me()), Date.now());
    const phone = status === 'working' ? linkedPhone(this.auth) : undefined;
    await persistStatus(this.opts.sql, this.id, { status, reason, phone, event }, this.untilDurable);
    this.opts.onPersisted?.();
    this.log.info({ status, reason }, 'session status');
  }

  /**
   * `session.status` STOPPED for webhooks and the stream when the connection is deleted (best effort: its webhooks
   * go with it). Only the event: the delete marks the row stopped itself, with its lifecycle event.
   */
  private async announceStopped(): Promise<void> {
    if (this.closed) return;
    this.statuses = [...this.statuses, { status: 'stopped' as const, timestampMs: Date.now() }].slice(-3);
    const event = buildEnvelope(mapSessionStatus(this.statuses), this.envelopeContext(this.me()), Date.now());
    await this.writer
      .enqueue({ outbox: [{ envelope: event }], messages: [], chats: [] })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'could not write session.status STOPPED'));
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
    this.closedAt ||= Date.now();
    clearTimeout(this.reconnectTimer);
    this.ending = true;
    void this.sock?.end(undefined);
    this.endedSock ??= this.sock;
    this.sock = undefined;
  }

  /**
   * Graceful stop on this replica (shutdown, or handing the session to another replica): resolves once the
   * last key transaction has committed and every taken batch is written, so the next owner starts from them.
   */
  async stop(): Promise<void> {
    this.close();
    if (this.endedSock) await keyTransactionsSettled(this.endedSock, KEY_COMMIT_WAIT_MS);
    this.auth?.seal();
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
    await this.announceStopped();
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
    this.auth = await useDatabaseAuthState(this.opts.sql, this.id, {
      fencingToken: this.opts.fencingToken,
      retry: this.untilDurable,
    });
    this.attempt = 0;
    await this.setStatus('pending');
    this.connect();
  }

  /** A contact's picture URL (undefined when not connected, no picture, or hidden by privacy). */
  async profilePictureUrl(jid: string): Promise<string | undefined> {
    if (!this.sock || !this.me()) return undefined;
    return this.sock.profilePictureUrl(jid, 'preview');
  }

  /** Inbound media by file name (see events/media-file.ts), downloaded and decrypted on demand. */
  async downloadMedia(fileName: string): Promise<{ data: Buffer; mimetype: string } | undefined> {
    return downloadInboundMedia(this.opts.sql, this.id, fileName, {
      policy: this.opts.config.mediaDownload,
      reuploadRequest: (m) =>
        this.sock ? this.sock.updateMediaMessage(m) : Promise.reject(new Error('session not connected')),
    });
  }
}
