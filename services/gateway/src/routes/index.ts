/**
 * Every route the gateway serves, one module per area. To add an area: write `routes/<area>.ts` exporting an
 * array of `defineRoute(...)` and add it to the list below (order matters only for identical paths).
 */
import type { RouteDef } from '../http/define-route.js';
import { accountRoutes } from './account.js';
import { billingRoutes } from './billing.js';
import { connectionRoutes } from './connections.js';
import { contactRoutes } from './contacts.js';
import { groupRoutes } from './groups.js';
import { healthRoutes } from './health.js';
import { labelRoutes } from './labels.js';
import { messageRoutes } from './messages.js';
import { pairingRoutes } from './pairing.js';
import { tokenRoutes } from './tokens.js';
import { webhookRoutes } from './webhooks.js';

export const routeModules: RouteDef[][] = [
  healthRoutes,
  accountRoutes,
  tokenRoutes,
  connectionRoutes,
  pairingRoutes,
  contactRoutes,
  groupRoutes,
  labelRoutes,
  webhookRoutes,
  messageRoutes,
  billingRoutes,
];

export const routes: RouteDef[] = routeModules.flat();
