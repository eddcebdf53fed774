/** The express application: security headers, the routes, the docs, and the error envelope. */
import express, { type Express } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { Authenticator } from './auth/authenticator.js';
import type { GatewayDeps } from './deps.js';
import { cors } from './http/cors.js';
import type { RouteDef } from './http/define-route.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { mountRoutes } from './http/mount-routes.js';
import { requestMetrics } from './http/request-metrics.js';
import { buildOpenApi } from './http/openapi.js';
import type { RateLimits } from './rate-limit/rate-limits.js';

export interface AppOptions {
  deps: GatewayDeps;
  routes: RouteDef[];
  auth: Authenticator;
  rateLimits: RateLimits;
  version: string;
}

export function createApp(options: AppOptions): Express {
  const { deps, routes, rateLimits } = options;
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('etag', false); // API responses are not cacheable validators; saves hashing every body
  app.use(helmet());
  app.use(cors);

  const router = express.Router();
  mountRoutes(router, routes, { deps, auth: options.auth, rateLimits, bodyLimit: config.BODY_LIMIT });

  const openApi = buildOpenApi(routes, { version: options.version });
  router.get('/api/openapi.json', rateLimits.byIp, (_req, res) => {
    res.json(openApi);
  });
  // swagger-ui-express loads only same-origin scripts, so helmet's CSP holds on the docs page too; only
  // upgrade-insecure-requests goes, or the page's own assets would be asked over https on a plain-http host.
  router.use(
    '/api/docs',
    rateLimits.byIp,
    helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }),
    swaggerUi.serveFiles(openApi),
    swaggerUi.setup(openApi, { customSiteTitle: 'WAHooks API' }),
  );

  app.use(router);
  app.use(requestMetrics('unmatched'));
  app.use(notFoundHandler);
  app.use(errorHandler(logger, config.BODY_LIMIT));
  return app;
}
