/** Events published by the billing service. */
import { z } from 'zod';
import { defineEvent } from '../define.js';

export const BillingSlotsChanged = defineEvent({
  type: 'billing.slots.changed',
  version: 1,
  payload: z.object({
    userId: z.uuid(),
    slots: z.number().int().nonnegative(), // the paid slots now (0: no active subscription)
  }),
  summary:
    "A user's paid slots changed (Stripe subscription created/updated/deleted): the connection service stops the newest connections beyond them",
});
