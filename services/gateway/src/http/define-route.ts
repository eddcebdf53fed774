/**
 * Routes are data: one `defineRoute({...})` per endpoint gives express its handler chain (rate limit, auth,
 * body parsing, zod validation) and the OpenAPI document its operation. A typical handler is one line:
 *
 *   defineRoute({
 *     method: 'post', path: '/api/tokens', auth: true, summary: 'Create an API token',
 *     body: z.object({ name: TokenName }), response: CreatedToken,
 *     handler: ({ broker, user, body }) => broker.request(CreateToken, { userId: user.id, name: body.name }),
 *   })
 *
 * The handler's return value is sent as JSON with `status` (default: 201 for POST, else 200). Return
 * `httpReply(status, body, headers)` for another status, or write to `ctx.res` yourself (nothing more is sent
 * once headers are out). Throw an AppError (or let a broker.request reject with one) for an error response.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Broker } from '@wahooks/broker';
import type { GatewayDeps } from '../deps.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The caller, once authenticated. `id` is the users.id (Supabase `sub`, or the wh_ token's owner). */
export interface AuthUser {
  id: string;
  via: 'api-token' | 'jwt';
  tokenId?: string; // set when authenticated with a wh_ token
  email?: string | null; // from the JWT, when present
}

type Parsed<S, Fallback> = S extends z.ZodType ? z.output<S> : Fallback;

export interface RouteContext<Auth extends boolean, Body, Params, Query> {
  /** Without `auth`: set only on an `optionalAuth` route called with a valid token. */
  user: Auth extends true ? AuthUser : AuthUser | undefined;
  body: Body;
  params: Params;
  query: Query;
  broker: Broker;
  deps: GatewayDeps;
  req: Request;
  res: Response;
}

export interface RouteSpec<
  Auth extends boolean,
  B extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
> {
  method: HttpMethod;
  /** Full express path, e.g. `/api/tokens/:id`. */
  path: string;
  auth: Auth;
  /** With `auth: false`: a request that sends an Authorization header must carry a valid token (401 otherwise)
   *  and is then limited per user too; `ctx.user` tells the handler (e.g. health details only for a caller). */
  optionalAuth?: boolean;
  summary: string;
  description?: string;
  /** OpenAPI tag; defaults to the path segment after /api. */
  tag?: string;
  /** JSON or urlencoded body schema; a route without one never parses a body. */
  body?: B;
  /** This route's body limit (bytes-package syntax, e.g. "1mb"), instead of BODY_LIMIT (base64 media routes). */
  bodyLimit?: string;
  params?: P;
  query?: Q;
  /** Success body schema (documentation only: replies were validated by the broker already). */
  response?: z.ZodType;
  /** Success status; default 201 for POST (NestJS-compatible, as the original API), else 200. */
  status?: number;
  /** Error statuses this route can answer besides the common ones (documentation). */
  errors?: number[];
  /** false exempts the route from rate limiting (health probes, inbound webhooks). Default true. */
  rateLimit?: boolean;
  handler: (
    ctx: RouteContext<Auth, Parsed<B, unknown>, Parsed<P, Record<string, string>>, Parsed<Q, Record<string, unknown>>>,
  ) => unknown;
}

/** A route with its types erased, as the registry and the OpenAPI builder see it. */
export interface RouteDef {
  method: HttpMethod;
  path: string;
  auth: boolean;
  optionalAuth?: boolean;
  summary: string;
  description?: string;
  tag?: string;
  body?: z.ZodType;
  bodyLimit?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  status: number;
  errors: number[];
  rateLimit: boolean;
  handler: (ctx: RouteContext<boolean, unknown, unknown, unknown>) => unknown;
}

export function defineRoute<
  Auth extends boolean,
  B extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<Auth, B, P, Q>): RouteDef {
  return {
    ...spec,
    status: spec.status ?? (spec.method === 'post' ? 201 : 200),
    errors: spec.errors ?? [],
    rateLimit: spec.rateLimit ?? true,
    handler: spec.handler as RouteDef['handler'],
  };
}

/** A handler result with an explicit status and headers (e.g. 503 from the health check, 202 for async work). */
export class HttpReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}
export const httpReply = (status: number, body: unknown, headers?: Record<string, string>) =>
  new HttpReply(status, body, headers);
