import type { CommandHandler } from '@wahooks/broker';
import { slotDecision, type CanCreateConnection } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';
import { slotAllowance } from './get-slots.js';

/** GET /api/billing/can-create: the create gate's rule (slotDecision) on the same data, as a question. */
export const handleCanCreate =
  (deps: HandlerDeps): CommandHandler<typeof CanCreateConnection> =>
  async ({ userId }) => {
    const [allowance, { used, serverCap }] = await Promise.all([
      slotAllowance(deps, userId),
      deps.peers.usedSlots(userId),
    ]);
    const decision = slotDecision(allowance, used, serverCap);
    const paidSlots = allowance.enabled ? (allowance.slots ?? 0) : 0;
    if (decision.allowed) {
      const availableSlots = decision.limit === null ? null : decision.limit - used;
      return { allowed: true as const, paidSlots, usedSlots: used, availableSlots };
    }
    if (decision.reason === 'no-billing') return { allowed: false as const, reason: 'No billing set up' as const };
    return { allowed: false as const, reason: `All ${decision.limit} slots in use`, paidSlots, usedSlots: used };
  };
