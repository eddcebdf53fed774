/**
 * CORS for every origin, as the original (NestJS `enableCors()` defaults): browsers may call the API
 * from any dashboard. No cookies are involved (Bearer tokens), so `*` is safe.
 */
import type { RequestHandler } from 'express';

const METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';
// Headers browser code may read: rate limits, Retry-After on 429/503, and the webhook-logs paging cursor.
const EXPOSED = 'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Next-Cursor';

export const cors: RequestHandler = (req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.setHeader('Access-Control-Allow-Methods', METHODS);
    res.setHeader(
      'Access-Control-Allow-Headers',
      req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type',
    );
    res.setHeader('Access-Control-Max-Age', '600'); // seconds browsers may cache this preflight
    res.setHeader('Vary', 'Access-Control-Request-Headers');
    res.status(204).end();
    return;
  }
  res.setHeader('Access-Control-Expose-Headers', EXPOSED);
  next();
};
