/**
 * Every route the gateway serves, one module per area. To add an area: write `routes/<area>.ts` exporting an
 * array of `defineRoute(...)` and add it to the list below (order matters only for identical paths).
 */
import type { RouteDef } from '../http/define-route.js';
import { accountRoutes } from './account.js';
import { connectionRoutes } from './connections.js';
import { healthRoutes } from './health.js';
import { messageRoutes } from './messages.js';
import { tokenRoutes } from './tokens.js';
import { webhookRoutes } from './webhooks.js';

export const routeModules: RouteDef[][] = [healthRoutes, accountRoutes, tokenRoutes, connectionRoutes, webhookRoutes, messageRoutes];

export const routes: RouteDef[] = routeModules.flat();
