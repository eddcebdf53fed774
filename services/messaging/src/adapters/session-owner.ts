/**
 * The replica holding a connection's WhatsApp socket, reached on the sessions exchange by connection id
 * (session-send.ts). What its answers mean for a send:
 * - unroutable / not sent / 404 `Session not held here`: nobody holds the session now, nothing was sent → 503.
 * - no answer by the deadline, the channel lost mid-call, or the owner's own 504 (its socket closed after the
 *   message was written): the outcome is unknown → SendOutcomeUnknown (the caller answers 504).
 * - any other answer is final: nothing was sent (409 not linked, 404 quoted message unknown, 422 media gone, …).
 */
import { rpcFailureOf, type Broker } from '@wahooks/broker';
import {
  AppError,
  Exchanges,
  SessionMarkRead,
  SessionPresence,
  SessionSend,
  type RequestOf,
  type SessionSendReply,
} from '@wahooks/contracts';

/** 503 + Retry-After: nobody holds the session right now (between owners, or not claimed yet). */
export class NoSessionOwner extends AppError {
  constructor() {
    super(503, "No replica holds this connection's WhatsApp session right now; nothing was sent, retry shortly", {
      'Retry-After': '3',
    });
  }
}
const noOwner = () => new NoSessionOwner();

export class SendOutcomeUnknown extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SendOutcomeUnknown';
  }
}

/** Presence and read receipts are courtesy: a slow owner is not waited for long. */
const PRESENCE_TIMEOUT_MS = 5000;

const notHeld = (err: unknown) =>
  (err instanceof AppError && err.statusCode === 404 && err.message === 'Session not held here') ||
  rpcFailureOf(err) === 'unroutable' ||
  rpcFailureOf(err) === 'not-sent';

export class SessionOwner {
  constructor(private readonly broker: Broker) {}

  private routed(connectionId: string, timeoutMs: number) {
    return { exchange: Exchanges.sessions, routingKey: connectionId, timeoutMs };
  }

  async send(request: RequestOf<typeof SessionSend>, timeoutMs: number): Promise<SessionSendReply> {
    try {
      return await this.broker.request(SessionSend, request, this.routed(request.connectionId, timeoutMs));
    } catch (err) {
      if (notHeld(err)) throw noOwner();
      const why = rpcFailureOf(err);
      if (why === 'timeout')
        throw new SendOutcomeUnknown(`the session owner did not answer within ${Math.round(timeoutMs / 1000)} s`);
      if (why === 'lost') throw new SendOutcomeUnknown('the connection to the session owner was lost mid-send');
      if (err instanceof AppError && err.statusCode === 504) throw new SendOutcomeUnknown(err.message);
      throw err;
    }
  }

  /** Typing indicators; errors are the caller's to ignore or not. */
  async presence(connectionId: string, chatId: string, presence: 'composing' | 'paused'): Promise<void> {
    try {
      await this.broker.request(
        SessionPresence,
        { connectionId, chatId, presence },
        this.routed(connectionId, PRESENCE_TIMEOUT_MS),
      );
    } catch (err) {
      throw notHeld(err) ? noOwner() : err;
    }
  }

  /** Read receipts for the chat's unread messages (the owner knows them). */
  async markRead(connectionId: string, chatId: string): Promise<void> {
    try {
      await this.broker.request(
        SessionMarkRead,
        { connectionId, chatId },
        this.routed(connectionId, PRESENCE_TIMEOUT_MS),
      );
    } catch (err) {
      throw notHeld(err) ? noOwner() : err;
    }
  }
}
