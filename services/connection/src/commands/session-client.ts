/** Asks the replica holding a session to act on it (routed by connection id on the sessions exchange). */
import { AppError, Exchanges, SessionAction, unavailable } from '@wahooks/contracts';
import type { Broker } from '@wahooks/broker';

export type SessionActionName = 'qr' | 'me' | 'logout' | 'relink' | 'media' | 'picture';

/** Resolves with the owner's answer, or undefined when no replica holds the session (yet). */
export async function askOwner(
  broker: Broker,
  connectionId: string,
  action: SessionActionName,
  arg?: string,
  timeoutMs = 10_000,
): Promise<unknown> {
  try {
    return await broker.request(
      SessionAction,
      { connectionId, action, ...(arg !== undefined ? { arg } : {}) },
      {
        exchange: Exchanges.sessions,
        routingKey: connectionId,
        timeoutMs,
      },
    );
  } catch (err) {
    // Unroutable (no owner bound) → 503 at once; the session is between owners or not claimed yet.
    if (err instanceof AppError && err.statusCode === 503) return undefined;
    if (err instanceof AppError && err.statusCode === 404 && err.message === 'Session not held here') return undefined;
    throw err;
  }
}

export const workerBooting = () => unavailable('Worker is starting up, please wait', 3);
