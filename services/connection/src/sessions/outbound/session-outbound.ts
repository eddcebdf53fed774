/**
 * Outbound actions on one live session, executed by the replica that holds its socket: send a message,
 * typing/online presence, read receipts. Everything for one chat runs in arrival order (a serial queue per
 * chat), and every action has a deadline (`sendTimeoutMs` from arrival).
 *
 * A send is idempotent by its `messageId`: the sent message is written to the session's message store before
 * the reply, so a retry (on this replica or the next owner) finds it and sends nothing again.
 */
import { isJidGroup, toNumber, type WAMessage, type WAMessageKey, type WASocket } from '@whiskeysockets/baileys';
import type {
  ReplyOf,
  RequestOf,
  SessionMarkRead,
  SessionPresence,
  SessionSend,
  SessionSendReply,
} from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { Sql } from '@wahooks/db';
import type { Me } from '../../events/index.js';
import { mediaOf, targetOf, toBaileysContent } from './baileys-content.js';
import { ChatQueues } from './chat-queue.js';
import { traceSend } from './send-span.js';
import type { MediaStore } from './media-store.js';
import { findEarlierSend, findTarget } from './message-lookup.js';
import type { SendStore } from './send-store.js';
import {
  idTaken,
  mediaExpired,
  messageNotFound,
  notLinked,
  notOwnMessage,
  outcomeUnknown,
  queuedTooLong,
  sendFailed,
  socketDown,
} from './send-errors.js';
import { clearUnread, unreadKeys } from './unread.js';

/** What this module needs of a WhatsAppSession. */
export interface LiveSession {
  readonly id: string;
  /** The linked account, or null before the QR is scanned. */
  me(): Me | null;
  /** The current Baileys socket (undefined once the session is closed). */
  readonly socket: WASocket | undefined;
  /** Tells the session's event mapping that this id is sent through the API (`source: "api"`). */
  markSentByApi?(keyId: string): void;
}

export interface OutboundOptions {
  sql: Sql;
  /** The batched idempotency lookup and record of each send, shared by the sessions of this replica. */
  store: SendStore;
  media: MediaStore;
  /** Deadline of one action, from its arrival on this replica, ms. */
  sendTimeoutMs: number;
  logger: Logger;
}

type SendRequest = RequestOf<typeof SessionSend>;

export class SessionOutbound {
  private readonly queues = new ChatQueues();
  private flushTimer?: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    private readonly session: LiveSession,
    private readonly opts: OutboundOptions,
  ) {
    this.log = opts.logger.child({ connectionId: session.id });
  }

  /** `callerDeadline`: epoch ms after which the caller no longer listens (its RPC deadline). */
  send(req: SendRequest, callerDeadline?: number): Promise<SessionSendReply> {
    return this.inChatOrder(req.chatId, callerDeadline, () => this.execute(req));
  }

  presence(req: RequestOf<typeof SessionPresence>, callerDeadline?: number): Promise<ReplyOf<typeof SessionPresence>> {
    return this.inChatOrder(req.chatId, callerDeadline, async () => {
      const sock = this.liveSocket();
      try {
        await sock.sendPresenceUpdate(req.presence, req.chatId);
      } catch (err) {
        throw this.failure(sock, err);
      }
      return { success: true as const };
    });
  }

  markRead(req: RequestOf<typeof SessionMarkRead>, callerDeadline?: number): Promise<ReplyOf<typeof SessionMarkRead>> {
    return this.inChatOrder(req.chatId, callerDeadline, async () => {
      const sock = this.liveSocket();
      const { sql } = this.opts;
      const keys: WAMessageKey[] = req.messages
        ? req.messages
            .filter((m) => !m.fromMe) // receipts go to senders: our own messages need none
            .map((m) => ({
              remoteJid: m.chatId,
              id: m.id,
              fromMe: false,
              ...(m.participant ? { participant: m.participant } : {}),
            }))
        : await unreadKeys(sql, this.session.id, req.chatId);
      try {
        if (keys.length) await sock.readMessages(keys);
      } catch (err) {
        throw this.failure(sock, err);
      }
      if (!req.messages) await clearUnread(sql, this.session.id, req.chatId);
      return { success: true as const, read: keys.length };
    });
  }

  private async execute(req: SendRequest): Promise<SessionSendReply> {
    const { sql, media } = this.opts;
    const connectionId = this.session.id;
    if (!this.session.me()) throw notLinked();

    const mediaRef = mediaOf(req.content);
    const earlier = await findEarlierSend(sql, this.opts.store, connectionId, req.chatId, req.messageId);
    if (earlier.kind === 'taken') throw idTaken();
    if (earlier.kind === 'sent') {
      if (mediaRef) await this.dropMedia(mediaRef.key);
      return this.reply(req, earlier.timestamp, true);
    }

    const sock = this.liveSocket();
    const quoted = req.replyTo ? await findTarget(sql, connectionId, req.replyTo) : undefined;
    if (req.replyTo && !quoted) throw messageNotFound();
    const targetRef = targetOf(req.content);
    const target = targetRef ? await findTarget(sql, connectionId, targetRef) : undefined;
    if (targetRef && !target) throw messageNotFound();
    if (target && !target.key.fromMe) {
      // Only admins may revoke others' messages, and only in groups; nobody edits them.
      if (req.content.type === 'edit') throw notOwnMessage('edit');
      if (req.content.type === 'revoke' && !isJidGroup(target.key.remoteJid ?? undefined))
        throw notOwnMessage('revoke');
    }
    const bytes = mediaRef ? await media.read(mediaRef.key) : undefined;
    if (mediaRef && (!bytes || bytes.length !== mediaRef.size)) throw mediaExpired();

    let sent: WAMessage | undefined;
    this.session.markSentByApi?.(req.messageId); // before: Baileys emits the upsert during sendMessage
    try {
      sent = await traceSend(connectionId, req.content.type, () =>
        sock.sendMessage(
          req.chatId,
          toBaileysContent(req.content, { media: bytes, target: target ? plainKey(target.key) : undefined }),
          {
            messageId: req.messageId,
            ...(quoted ? { quoted } : {}),
            mediaUploadTimeoutMs: this.opts.sendTimeoutMs,
          },
        ),
      );
    } catch (err) {
      throw this.failure(sock, err);
    }
    if (!sent?.key?.id) throw sendFailed('Baileys returned no message');
    // Recorded before the reply, so a retry with this id is recognised. Baileys' own upsert of the message
    // also reaches the store (through the session's batch writer), but later, and not for reactions/edits/revokes.
    await this.opts.store
      .record(connectionId, sent)
      .catch((err: Error) =>
        this.log.error({ err: err.message, messageId: req.messageId }, 'sent, but not recorded in the message store'),
      );
    if (mediaRef) await this.dropMedia(mediaRef.key);
    this.releaseOwnEvents(sock);
    return this.reply(req, toNumber(sent.messageTimestamp as number | null | undefined), false);
  }

  /**
   * Baileys 7.0.0-rc14 can leave its event buffer on after our own send: the delayed flush of a buffered
   * function is skipped for good once its pending-flush timer went stale (event-buffer.js clears
   * `flushPendingTimeout` only in a flush that had something to flush). Our message's upsert (→ `message.any`)
   * then waits for the next inbound stanza or the buffer's 30 s timeout. One flush shortly after the send
   * (Baileys' own delay is 100 ms) releases it and clears the stale timer; one per session at a time.
   */
  private releaseOwnEvents(sock: WASocket): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.session.socket === sock && sock.ev.isBuffering()) sock.ev.flush();
    }, OWN_EVENTS_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** `ts`: the message's timestamp, Unix seconds. */
  private reply(req: SendRequest, ts: number, duplicate: boolean): SessionSendReply {
    return {
      messageId: req.messageId,
      chatId: req.chatId,
      timestamp: ts > 0 ? ts : Math.floor(Date.now() / 1000),
      duplicate,
    };
  }

  private async dropMedia(key: string): Promise<void> {
    await this.opts.media
      .remove(key)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'staged media not deleted (its TTL will)'));
  }

  /** The socket to act on: 409 before linking, 503 while it reconnects. */
  private liveSocket(): WASocket {
    if (!this.session.me()) throw notLinked();
    const sock = this.session.socket;
    if (!sock?.ws.isOpen) throw socketDown();
    return sock;
  }

  /** A Baileys failure: the socket went down (nothing was written), or WhatsApp/Baileys refused it. */
  private failure(sock: WASocket, err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err);
    this.log.warn({ err: message }, 'outbound action failed');
    return sock.ws.isOpen && this.session.socket === sock ? sendFailed(message) : socketDown();
  }

  /**
   * Runs `task` after the chat's earlier actions, within `sendTimeoutMs` of now (sooner when the caller's own
   * deadline is nearer: it must hear the outcome). Past the deadline the caller gets 503 (never started:
   * nothing sent) or 504 (started: outcome unknown). A started task keeps its place: the chat's next action
   * waits for it to settle, or for one more timeout, whichever is first.
   */
  private inChatOrder<T>(chatId: string, callerDeadline: number | undefined, task: () => Promise<T>): Promise<T> {
    const own = this.opts.sendTimeoutMs;
    const timeoutMs = Math.max(0, Math.min(own, (callerDeadline ?? Infinity) - REPLY_MARGIN_MS - Date.now()));
    return new Promise<T>((resolve, reject) => {
      let state: 'queued' | 'started' | 'expired' = 'queued';
      const timer = setTimeout(() => {
        if (state === 'queued') {
          state = 'expired';
          reject(queuedTooLong(timeoutMs));
        } else reject(outcomeUnknown(timeoutMs));
      }, timeoutMs);
      void this.queues.run(chatKey(chatId), async () => {
        if (state === 'expired') return; // the caller was answered: never start it
        state = 'started';
        const work = task();
        work.then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        );
        let cap: NodeJS.Timeout | undefined;
        await Promise.race([
          work.then(
            () => undefined,
            () => undefined,
          ),
          new Promise<void>((done) => (cap = setTimeout(done, timeoutMs + own))),
        ]);
        clearTimeout(cap);
      });
    });
  }
}

/** After our own send, when Baileys' event buffer is still on, flush it this much later, ms. */
const OWN_EVENTS_FLUSH_MS = 200;

/** Time left for the answer to reach a caller before its own deadline, ms. */
const REPLY_MARGIN_MS = 500;

/** The key fields WhatsApp knows (the stored key also carries Baileys' own extras, e.g. `remoteJidAlt`). */
function plainKey(key: WAMessageKey): WAMessageKey {
  return {
    remoteJid: key.remoteJid,
    fromMe: key.fromMe,
    id: key.id,
    ...(key.participant ? { participant: key.participant } : {}),
  };
}

/** One queue per chat, whatever spelling of its JID (device suffixes) the caller used. */
const chatKey = (chatId: string) => chatId.replace(/:\d+@/, '@');
