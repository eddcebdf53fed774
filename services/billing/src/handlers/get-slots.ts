import type { CommandHandler } from '@wahooks/broker';
import type { GetSlotAllowance, SlotAllowance } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';

/**
 * A user's slots from the projection (no Stripe call: this is on every connection create). Hosted: the active
 * subscription's quantity as the webhooks and live reads left it. Self-hosted: the free slots; the admin flag
 * is only asked for when there is a limit it could lift.
 */
export async function slotAllowance(
  deps: Pick<HandlerDeps, 'stripe' | 'customers' | 'peers' | 'freeSlots'>,
  userId: string,
): Promise<SlotAllowance> {
  if (!deps.stripe) {
    const slots = deps.freeSlots;
    const isAdmin = slots === null ? false : await deps.peers.isAdmin(userId);
    return { enabled: false, isAdmin, hasCustomer: false, slots };
  }
  const [isAdmin, customer] = await Promise.all([deps.peers.isAdmin(userId), deps.customers.byUser(userId)]);
  return { enabled: true, isAdmin, hasCustomer: customer !== undefined, slots: customer?.slots ?? 0 };
}

export const handleGetSlots =
  (deps: HandlerDeps): CommandHandler<typeof GetSlotAllowance> =>
  ({ userId }) =>
    slotAllowance(deps, userId);
