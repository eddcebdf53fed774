import type { CommandHandler } from '@wahooks/broker';
import type { GetBillingUsage } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';

/** The first instant of the current calendar month, UTC. */
export const monthStart = (now = new Date()) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** GET /api/billing/usage: what the usage meter recorded this month (works with billing off too). */
export const handleGetUsage =
  (deps: HandlerDeps): CommandHandler<typeof GetBillingUsage> =>
  ({ userId }) =>
    deps.usage.summary(userId, monthStart());
