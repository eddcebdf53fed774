/**
 * Who a new socket belongs to, checked exactly as a REST request (src/auth): a `wh_` token through the token service
 * (cached), a Supabase JWT by its signature. Then every `connectionId` it names must be the user's (asked of the
 * connection service). The close codes: 4003 for a token (or connection) refused, 4000 when a service did not answer.
 */
import { decodeJwt } from 'jose';
import type { Broker } from '@wahooks/broker';
import { AppError, GetConnection, StreamClose } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import { sha256Hex } from '../auth/api-token-verifier.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { AuthUser } from '../http/define-route.js';
import type { StreamQuery } from './stream-query.js';

export interface CloseFrame {
  code: number;
  reason: string;
}

export interface Admitted {
  user: AuthUser;
  /** sha256 of a `wh_` token: a revocation closes the socket. */
  tokenHash?: string;
  /** When a JWT expires (ms epoch): the socket is closed then. */
  expiresAtMs?: number;
}

export type Handshake = { ok: true; admitted: Admitted } | { ok: false; close: CloseFrame };

/** A refusal (401/403/404) closes with 4003; anything else (503: a service did not answer) with 4000. */
function refusal(err: unknown, logger: Logger, what: string): CloseFrame {
  if (err instanceof AppError && err.statusCode < 500) return StreamClose.invalidToken;
  logger.warn({ err: err instanceof Error ? err.message : String(err) }, `event stream: ${what} failed`);
  return StreamClose.authFailed;
}

export async function admit(
  deps: { auth: Authenticator; broker: Broker; logger: Logger },
  query: StreamQuery,
): Promise<Handshake> {
  let user: AuthUser;
  try {
    user = await deps.auth.authenticate(`Bearer ${query.token}`);
  } catch (err) {
    return { ok: false, close: refusal(err, deps.logger, 'authentication') };
  }
  const admitted: Admitted = { user };
  if (user.via === 'api-token') admitted.tokenHash = sha256Hex(query.token);
  else {
    const { exp } = decodeJwt(query.token); // verified above
    if (typeof exp === 'number') admitted.expiresAtMs = exp * 1000;
  }

  const refused = await Promise.all([...(query.connectionIds ?? [])].map((id) => ownership(deps, user.id, id)));
  const close = refused.find((c) => c !== undefined);
  if (close) return { ok: false, close };
  return { ok: true, admitted };
}

/** Undefined when `userId` owns the connection; else why not (4003 for another's or an unknown one). */
async function ownership(
  deps: { broker: Broker; logger: Logger },
  userId: string,
  connectionId: string,
): Promise<CloseFrame | undefined> {
  const notYours = { code: StreamClose.invalidToken.code, reason: `Unknown connection ${connectionId}` };
  try {
    const c = await deps.broker.request(GetConnection, { connectionId });
    return c.userId === userId ? undefined : notYours;
  } catch (err) {
    const close = refusal(err, deps.logger, 'connection ownership check');
    return close.code === StreamClose.invalidToken.code ? notYours : close;
  }
}
