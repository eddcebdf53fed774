/** The one error envelope `{statusCode, error, message}` for every failure, including express's own. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, clipInput, notFound } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

/** Errors raised by body-parser and friends (they carry `status` and `expose`) become AppErrors. */
function toAppError(err: unknown, bodyLimit: string): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.parse.failed') return new AppError(400, 'Malformed JSON in request body');
  if (e.type === 'entity.too.large') return new AppError(413, `Request body is larger than the ${bodyLimit} limit`);
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
    return new AppError(415, clipInput(e.message ?? 'Unsupported body encoding', 200));
  // body-parser's own words can quote the request (a charset, a content type): bounded
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false)
    return new AppError(status, clipInput(e.message ?? 'Bad request', 200));
  return undefined;
}

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(notFound(`Cannot ${req.method} ${clipInput(req.path, 200)}`));

export function errorHandler(logger: Logger, bodyLimit: string): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err); // express closes the connection
    const appError = toAppError(err, bodyLimit);
    if (appError) {
      if (appError.statusCode >= 500)
        logger.warn({ status: appError.statusCode, reason: appError.message, path: req.path }, 'upstream error');
      if (appError.headers) res.set(appError.headers);
      // Every 503 says when to come back, also those that carry no hint (an RPC deadline, a service's own).
      if (appError.statusCode === 503 && !res.getHeader('Retry-After')) res.set('Retry-After', '5');
      res.status(appError.statusCode).json(appError.body);
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
  };
}
