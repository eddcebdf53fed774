import { z } from 'zod';

/** The one error body on the wire and over HTTP: `{statusCode, error, message}` (NestJS-compatible). */
export const ErrorBody = z.object({
  statusCode: z.number().int().min(400).max(599),
  error: z.string(), // the HTTP reason phrase, e.g. "Not Found"
  message: z.union([z.string(), z.array(z.string())]),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An RPC reply: the gateway turns `{ok:false}` into the HTTP error body unchanged. */
export const RpcReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody }),
]);
export type RpcReply = z.infer<typeof RpcReply>;

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
export const reasonPhrase = (status: number): string => reasons[status] ?? (status >= 500 ? 'Server Error' : 'Error');

/**
 * An expected failure with an HTTP status. Thrown by command handlers (it travels back to the caller as an
 * `{ok:false}` reply) and by the gateway. Anything that is not an AppError is a 500 with a generic message.
 */
export class AppError extends Error {
  readonly statusCode: number;
  readonly error: string;
  readonly body: ErrorBody;
  /** Extra HTTP headers for the gateway to send (e.g. Retry-After on 503). */
  readonly headers?: Record<string, string>;

  constructor(statusCode: number, message: string | string[], headers?: Record<string, string>) {
    super(Array.isArray(message) ? message.join('; ') : message);
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.error = reasonPhrase(statusCode);
    this.body = { statusCode, error: this.error, message };
    this.headers = headers;
  }

  static fromBody(body: ErrorBody, headers?: Record<string, string>): AppError {
    return new AppError(body.statusCode, body.message, headers);
  }
}

export const badRequest = (message: string | string[]) => new AppError(400, message);
export const unauthorized = (message: string) => new AppError(401, message);
export const forbidden = (message: string) => new AppError(403, message);
export const notFound = (message: string) => new AppError(404, message);
export const unavailable = (message: string, retryAfterSeconds = 5) =>
  new AppError(503, message, { 'Retry-After': String(retryAfterSeconds) });

/**
 * Client input quoted in an error message, bounded: at most `max` characters (a cut ends in `…`), control
 * characters as `?`. Error messages never carry unbounded client input (logs, and clients that show them).
 */
export function clipInput(value: string, max = 64): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Several inputs for a message: the first `maxItems` (each clipped), then `and N more`. */
export function clipList(values: readonly string[], maxItems = 5, max = 64): string {
  const shown = values.slice(0, maxItems).map((v) => clipInput(v, max));
  return values.length > maxItems ? `${shown.join(', ')} and ${values.length - maxItems} more` : shown.join(', ');
}
