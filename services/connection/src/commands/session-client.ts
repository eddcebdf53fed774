/** Asks the replica holding a session to act on it (routed by connection id on the sessions exchange). */
import {
  AppError,
  Exchanges,
  SessionCheckNumbers,
  SessionGroupCreate,
  SessionGroupGet,
  SessionGroupInvite,
  SessionGroupLeave,
  SessionGroupList,
  SessionGroupParticipants,
  SessionPairCode,
  SessionLogout,
  SessionMe,
  SessionMedia,
  SessionPicture,
  SessionQr,
  SessionRelink,
  unavailable,
  type ReplyOf,
  type RequestOf,
} from '@wahooks/contracts';
import type { Broker } from '@wahooks/broker';

/** The session-owned commands of the connection API by short name (contracts commands/session.ts). */
export const SessionCommands = {
  qr: SessionQr,
  me: SessionMe,
  logout: SessionLogout,
  relink: SessionRelink,
  media: SessionMedia,
  picture: SessionPicture,
  pairCode: SessionPairCode,
  checkNumbers: SessionCheckNumbers,
  groupList: SessionGroupList,
  groupGet: SessionGroupGet,
  groupCreate: SessionGroupCreate,
  groupParticipants: SessionGroupParticipants,
  groupInvite: SessionGroupInvite,
  groupLeave: SessionGroupLeave,
} as const;
type SessionCommands = typeof SessionCommands;
export type SessionCommandName = keyof SessionCommands;

/** The request of command `K` without its `connectionId` (the routing key, added here). */
export type SessionArgs<K extends SessionCommandName> = Omit<RequestOf<SessionCommands[K]>, 'connectionId'>;

/** Commands with nothing but the connection id may leave their arguments out. */
type ArgsAndTimeout<K extends SessionCommandName> =
  object extends SessionArgs<K>
    ? [args?: SessionArgs<K>, timeoutMs?: number]
    : [args: SessionArgs<K>, timeoutMs?: number];

/**
 * Resolves with the owner's typed answer, or undefined when no replica holds the session (yet). `timeoutMs` is
 * the RPC deadline (default 10 s).
 */
export async function askOwner<K extends SessionCommandName>(
  broker: Broker,
  connectionId: string,
  name: K,
  ...[args, timeoutMs = 10_000]: ArgsAndTimeout<K>
): Promise<ReplyOf<SessionCommands[K]> | undefined> {
  const command: SessionCommands[K] = SessionCommands[name];
  try {
    return await broker.request(command, { ...args, connectionId } as RequestOf<SessionCommands[K]>, {
      exchange: Exchanges.sessions,
      routingKey: connectionId,
      timeoutMs,
    });
  } catch (err) {
    // Unroutable (no owner bound) → 503 at once; the session is between owners or not claimed yet.
    if (err instanceof AppError && err.statusCode === 503) return undefined;
    if (err instanceof AppError && err.statusCode === 404 && err.message === 'Session not held here') return undefined;
    throw err;
  }
}

export const workerBooting = () => unavailable('Worker is starting up, please wait', 3);
