/**
 * The session-owned outbound commands (send, presence, mark-read), answered by the replica that holds the
 * session's socket. They are bound on `Exchanges.sessions` together with the other session commands, so a
 * request for a session nobody holds is unroutable (503 at the caller).
 */
import { BrokerHeaders, handle, type CommandBinding, type MessageContext } from '@wahooks/broker';
import { SessionMarkRead, SessionPresence, SessionSend, unavailable } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { Sql } from '@wahooks/db';
import type { MediaStore } from './outbound/media-store.js';
import { SendStore } from './outbound/send-store.js';
import { SessionOutbound, type LiveSession } from './outbound/session-outbound.js';

export interface SendCommandsOptions {
  sql: Sql;
  media: MediaStore;
  /** Deadline of one send (from its arrival here) before it fails with 504, ms. Default 45 s. */
  sendTimeoutMs?: number;
  logger: Logger;
  /** The session this replica holds for a connection id. */
  session(connectionId: string): LiveSession | undefined;
}

export const DEFAULT_SEND_TIMEOUT_MS = 45_000;

export function sendCommands(opts: SendCommandsOptions): CommandBinding[] {
  // One outbound state (its per-chat queues) per session object: a re-acquired session starts afresh.
  const outbound = new WeakMap<LiveSession, SessionOutbound>();
  const store = new SendStore(opts.sql); // one for all sessions: their lookups and records batch together
  const of = (connectionId: string): SessionOutbound => {
    const session = opts.session(connectionId);
    // Routed here while the lease moves away (bound a moment longer than held): like unroutable.
    if (!session) throw unavailable('Session is moving between workers: nothing was sent, try again', 3);
    let state = outbound.get(session);
    if (!state) {
      state = new SessionOutbound(session, {
        sql: opts.sql,
        store,
        media: opts.media,
        sendTimeoutMs: opts.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
        logger: opts.logger,
      });
      outbound.set(session, state);
    }
    return state;
  };
  // Each handler hands its request to the chat's queue before its first await: the broker delivers a
  // replica's requests in order, so the queue order is the arrival order.
  return [
    handle(SessionSend, (req, ctx) => of(req.connectionId).send(req, callerDeadline(ctx))),
    handle(SessionPresence, (req, ctx) => of(req.connectionId).presence(req, callerDeadline(ctx))),
    handle(SessionMarkRead, (req, ctx) => of(req.connectionId).markRead(req, callerDeadline(ctx))),
  ];
}

/** The RPC deadline the caller put on its request (epoch ms), if any. */
function callerDeadline(ctx: MessageContext): number | undefined {
  const value = Number(ctx.headers[BrokerHeaders.deadline]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
