import { handle, type CommandBinding, type CommandHandler } from '@wahooks/broker';
import {
  CanCreateConnection,
  CreateCheckout,
  CreatePortal,
  GetBillingStatus,
  GetBillingUsage,
  GetSlotAllowance,
  ReceiveStripeWebhook,
  unavailable,
  type AnyCommand,
} from '@wahooks/contracts';
import { isDatabaseUnavailable } from '../domain/db-unavailable.js';
import { handleReceiveWebhook } from '../webhooks/receive-webhook.js';
import { handleCanCreate } from './can-create.js';
import { handleCreateCheckout } from './create-checkout.js';
import { handleCreatePortal } from './create-portal.js';
import type { HandlerDeps } from './deps.js';
import { handleGetSlots } from './get-slots.js';
import { handleGetStatus } from './get-status.js';
import { handleGetUsage } from './get-usage.js';

export type { HandlerDeps, StripeDeps } from './deps.js';

/** An unreachable database is a 503 (retry later; Stripe retries a webhook answered with one), not a 500. */
const mapDbErrors =
  <C extends AnyCommand>(deps: HandlerDeps, handler: CommandHandler<C>): CommandHandler<C> =>
  async (request, ctx) => {
    try {
      return await handler(request, ctx);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      deps.logger.error({ err }, 'database unavailable');
      throw unavailable('Billing store unavailable, retry shortly');
    }
  };

/** Every command the billing service answers. */
export const billingCommandHandlers = (deps: HandlerDeps): CommandBinding[] => [
  handle(GetSlotAllowance, mapDbErrors(deps, handleGetSlots(deps))),
  handle(GetBillingStatus, mapDbErrors(deps, handleGetStatus(deps))),
  handle(CreateCheckout, mapDbErrors(deps, handleCreateCheckout(deps))),
  handle(CreatePortal, mapDbErrors(deps, handleCreatePortal(deps))),
  handle(CanCreateConnection, mapDbErrors(deps, handleCanCreate(deps))),
  handle(GetBillingUsage, mapDbErrors(deps, handleGetUsage(deps))),
  handle(ReceiveStripeWebhook, mapDbErrors(deps, handleReceiveWebhook(deps))),
];
