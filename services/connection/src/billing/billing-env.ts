import { z } from 'zod';
import { envInt } from '@wahooks/config';

/**
 * `BILLING_GATE`: `on` (default): creating a connection asks the billing service for the user's slots
 * (billing.slots.get); billing unreachable → 503, never an ungated create. `off`: no billing service is
 * asked and none needs to run (a deployment without billing, and the test environments of services that do
 * not exercise billing); slots are then not enforced, but a user still has at most MAX_CONNECTIONS_PER_USER
 * connections (403 past it).
 */
export const billingGateEnv = {
  BILLING_GATE: z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'),
  /** With BILLING_GATE=off: the most non-stopped connections a user may have (each one is a live socket). */
  MAX_CONNECTIONS_PER_USER: envInt(50, 1),
};
