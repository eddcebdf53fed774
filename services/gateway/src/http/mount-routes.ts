/** Turns route definitions into express handler chains: span → IP limit → auth → user limit → body → zod → handler. */
import express, { type RequestHandler, type Router } from 'express';
import { AppError } from '@wahooks/contracts';
import type { GatewayDeps } from '../deps.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { RateLimits } from '../rate-limit/rate-limits.js';
import { HttpReply, type AuthUser, type RouteDef } from './define-route.js';
import { requestSpan } from './request-span.js';
import { requestMetrics } from './request-metrics.js';
import { sendJson } from './send-json.js';
import { parseRequestPart, rejectNul } from './validate.js';

export interface MountOptions {
  deps: GatewayDeps;
  auth: Authenticator;
  rateLimits: RateLimits;
  bodyLimit: string;
}

const BODY_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded'];

export function mountRoutes(router: Router, routes: RouteDef[], options: MountOptions): void {
  const { deps, auth, rateLimits, bodyLimit } = options;
  // Bodies are parsed only for routes that take one, and only after auth: no anonymous large parses.
  const bodyParser = (limit: string): RequestHandler[] => [
    express.json({ limit, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ limit, extended: true }),
    (req, _res, next) => {
      // A (non-empty) body we did not parse was sent with some other content type.
      if (req.headers['content-length'] !== '0' && req.is(BODY_TYPES) === false)
        throw new AppError(415, 'Content-Type must be application/json');
      next();
    },
  ];
  const parseBody = bodyParser(bodyLimit);
  // A route's own limit: its 413 names that limit (the error handler only knows BODY_LIMIT).
  const routeBodyParser = (limit: string): RequestHandler[] =>
    bodyParser(limit).map(
      (parse): RequestHandler =>
        (req, res, next) =>
          parse(req, res, (err?: unknown) => {
            if ((err as { type?: string } | undefined)?.type === 'entity.too.large')
              return next(new AppError(413, `Request body is larger than the ${limit} limit`));
            next(err);
          }),
    );
  const authenticate: RequestHandler = async (req, res, next) => {
    res.locals.user = await auth.authenticate(req.headers.authorization);
    next();
  };
  // Per-IP limit before auth, per-user limit after. A wh_ token already in the auth cache costs no I/O to
  // authenticate, so then both limits are counted at once (one Redis round trip, pipelined).
  const limitedAuthenticate: RequestHandler = async (req, res, next) => {
    const header = req.headers.authorization;
    const cached = auth.cachedUser(header);
    if (cached) {
      res.locals.user = cached;
      await Promise.all([rateLimits.ip(req, res), rateLimits.user(cached.id, res)]);
    } else {
      await rateLimits.ip(req, res);
      const user = await auth.authenticate(header);
      res.locals.user = user;
      await rateLimits.user(user.id, res);
    }
    next();
  };
  // Optional auth (health): anonymous callers are limited per IP; a caller that sends a token must be valid and
  // is limited per IP and per user, like any authenticated route.
  const optionallyAuthenticated =
    (limited: boolean): RequestHandler =>
    async (req, res, next) => {
      if (req.headers.authorization !== undefined)
        return (limited ? limitedAuthenticate : authenticate)(req, res, next);
      if (limited) await rateLimits.ip(req, res);
      next();
    };

  for (const route of routes) {
    const chain: RequestHandler[] = [requestMetrics(route.path, route.method), requestSpan(route.method, route.path)];
    // Every request is counted before it runs, reads included: a burst cannot get work done past the limit.
    if (route.auth && route.rateLimit) chain.push(limitedAuthenticate);
    else if (route.auth) chain.push(authenticate);
    else if (route.optionalAuth) chain.push(optionallyAuthenticated(route.rateLimit));
    else if (route.rateLimit) chain.push(rateLimits.byIp);
    if (route.body) chain.push(...(route.bodyLimit ? routeBodyParser(route.bodyLimit) : parseBody));
    chain.push(async (req, res) => {
      rejectNul(req.params, 'path');
      rejectNul(req.query, 'query');
      if (route.body) rejectNul(req.body, 'body');
      const result = await Promise.resolve(
        route.handler({
          user: res.locals.user as AuthUser | undefined,
          body: route.body ? parseRequestPart(route.body, req.body ?? {}) : undefined,
          params: route.params ? parseRequestPart(route.params, req.params) : req.params,
          query: route.query ? parseRequestPart(route.query, req.query) : req.query,
          broker: deps.broker,
          deps,
          req,
          res,
        }),
      );
      if (res.headersSent) return;
      if (result instanceof HttpReply) {
        res.set(result.headers);
        if (result.body === undefined) res.status(result.status).end();
        else sendJson(req, res, result.status, result.body);
        return;
      }
      if (result === undefined || result === null) res.status(route.status).end();
      else sendJson(req, res, route.status, result);
    });
    router[route.method](route.path, ...chain);
  }
}
