/**
 * Why an RPC call got no answer, for callers to whom it matters whether the request may have been acted on
 * (a send whose outcome is unknown is a 504 and may be retried only idempotently): the error stays the same
 * AppError 503 callers already handle; `rpcFailureOf(err)` reads the reason.
 *
 * - `unroutable`: the broker returned it (nobody serves the command or holds the key): certainly not handled.
 * - `not-sent`: never left this process (broker not connected): certainly not handled.
 * - `timeout`: no answer by the deadline: it may have been handled (or be handled late, until its deadline).
 * - `lost`: the channel or connection went away while waiting: it may have been handled.
 */
import { AppError } from '@wahooks/contracts';

export type RpcFailureKind = 'unroutable' | 'not-sent' | 'timeout' | 'lost';

const KIND = Symbol.for('wahooks.rpcFailure');

export function rpcFailure(kind: RpcFailureKind, error: AppError): AppError {
  Object.defineProperty(error, KIND, { value: kind, enumerable: false });
  return error;
}

/** The reason a `broker.request` rejected without an answer, or undefined (an answer, e.g. the server's own 503). */
export function rpcFailureOf(err: unknown): RpcFailureKind | undefined {
  return err && typeof err === 'object'
    ? ((err as Record<symbol, RpcFailureKind | undefined>)[KIND] ?? undefined)
    : undefined;
}
