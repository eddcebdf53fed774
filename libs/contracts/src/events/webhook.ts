/** Events published by webhook-delivery. */
import { z } from 'zod';
import { defineEvent } from '../define.js';

export const WebhookDisabled = defineEvent({
  type: 'webhook-delivery.webhook.disabled',
  version: 1,
  payload: z.object({
    webhookId: z.uuid(),
    userId: z.uuid(),
    connectionId: z.uuid(),
    url: z.string(),
    // gone: the receiver answered 410; failing: N consecutive failed deliveries or failing for too long
    reason: z.enum(['gone', 'failing']),
    disabledAt: z.string(), // ISO-8601
  }),
  summary: 'A webhook was disabled automatically; notify its owner',
});
