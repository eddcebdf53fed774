/**
 * Commands answered by webhook-delivery (SPEC §3.4 + issue 5). Every request carries the caller's `userId`;
 * the service checks ownership (404 Connection not found / 403 You do not own this connection, 404 Webhook
 * config not found / 403 You do not own this webhook config).
 *
 * Body fields (`url`, `events`, `active`) travel unvalidated (`unknown`) on purpose: the service validates them
 * and answers 400 with the documented messages (`url and events are required`, …), so the gateway forwards
 * the client's body as is and never invents its own wording.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';

const UserId = z.uuid();
/** Path ids are checked by the service (a non-uuid id is simply "not found"), so they are plain strings here. */
const PathId = z.string();

/** The webhook config object, as the original returns it: the full row, secret included every time. */
export const WebhookConfig = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  sessionId: z.uuid(), // the connection id (the original's column name)
  url: z.string(),
  events: z.array(z.string()),
  signingSecret: z.string().regex(/^[0-9a-f]{64}$/), // randomBytes(32) hex, used as a UTF-8 HMAC key (SPEC §4.4)
  active: z.boolean(),
  createdAt: z.string(), // ISO-8601
  updatedAt: z.string(),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

/** One HTTP attempt of a delivery (issue 5: logs carry their attempts). */
export const DeliveryAttempt = z.object({
  attempt: z.number().int().min(1), // 1-based, counted over the delivery's whole life (replays continue it)
  at: z.string(), // ISO-8601 start of the request
  statusCode: z.number().int().nullable(), // null: no HTTP answer (timeout, refused, DNS, blocked address)
  durationMs: z.number().int(),
  error: z.string().nullable(), // e.g. "HTTP 500", "TIMEOUT", "BLOCKED_ADDRESS: …"
  responseBody: z.string().nullable(), // first 4 KB of the answer
});

/** A log row = one delivery of one event to one webhook (SPEC §3.4 shape + eventId + attemptLog). */
export const WebhookLog = z.object({
  id: z.uuid(),
  webhookConfigId: z.uuid(),
  eventId: z.string(), // the envelope id; also the `webhook-id` header (stable across retries and replays)
  eventType: z.string(),
  payload: z.unknown(), // the delivered JSON
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  attemptLog: z.array(DeliveryAttempt), // oldest first
});
export type WebhookLog = z.infer<typeof WebhookLog>;

export const ListWebhooks = defineCommand({
  name: 'webhook-delivery.config.list',
  version: 1,
  request: z.object({ userId: UserId, connectionId: PathId }),
  reply: z.array(WebhookConfig),
  summary: 'GET /api/connections/:connectionId/webhooks: every config of the connection, active or not',
});

export const CreateWebhook = defineCommand({
  name: 'webhook-delivery.config.create',
  version: 1,
  request: z.object({
    userId: UserId,
    connectionId: PathId,
    url: z.unknown().optional(),
    events: z.unknown().optional(),
  }),
  reply: WebhookConfig,
  summary: 'POST /api/connections/:connectionId/webhooks (201): http(s) url not resolving to private addresses',
});

export const UpdateWebhook = defineCommand({
  name: 'webhook-delivery.config.update',
  version: 1,
  request: z.object({
    userId: UserId,
    webhookId: PathId,
    url: z.unknown().optional(),
    events: z.unknown().optional(),
    active: z.unknown().optional(),
  }),
  reply: WebhookConfig,
  summary: 'PUT /api/webhooks/:id: any of url, events, active; re-activating resets the failure counters',
});

export const DeleteWebhook = defineCommand({
  name: 'webhook-delivery.config.delete',
  version: 1,
  request: z.object({ userId: UserId, webhookId: PathId }),
  reply: z.object({ success: z.literal(true) }),
  summary: 'DELETE /api/webhooks/:id: hard delete, cascading to its logs',
});

export const LogStatus = z.enum(['pending', 'delivered', 'failed']);

export const ListWebhookLogs = defineCommand({
  name: 'webhook-delivery.logs.list',
  version: 1,
  request: z.object({
    userId: UserId,
    webhookId: PathId,
    status: z.unknown().optional(), // pending | delivered | failed
    event: z.unknown().optional(), // exact event name
    limit: z.unknown().optional(), // 1..100, default 100
    before: z.unknown().optional(), // cursor from the previous page's `nextCursor`
  }),
  reply: z.object({
    items: z.array(WebhookLog), // newest first; the HTTP body is this array alone
    nextCursor: z.string().nullable(), // HTTP: X-Next-Cursor header (absent when null)
  }),
  summary: 'GET /api/webhooks/:id/logs: newest first, filter by status/event, paginated with limit + before',
});

export const TestWebhook = defineCommand({
  name: 'webhook-delivery.config.test',
  version: 1,
  request: z.object({ userId: UserId, webhookId: PathId }),
  reply: z.object({
    success: z.literal(true),
    logId: z.uuid(),
    message: z.literal('Test event enqueued for delivery'),
  }),
  summary: 'POST /api/webhooks/:id/test (201): the SPEC §4.6 test event, ignoring active and the filter',
});

export const RotateWebhookSecret = defineCommand({
  name: 'webhook-delivery.config.rotate-secret',
  version: 1,
  request: z.object({ userId: UserId, webhookId: PathId }),
  reply: WebhookConfig.extend({
    previousSecretExpiresAt: z.string(), // until then the old secret signs too (webhook-signature lists both)
  }),
  summary: 'POST /api/webhooks/:id/rotate-secret (201): new secret; the old one keeps signing for a grace period',
});

export const ReplayDelivery = defineCommand({
  name: 'webhook-delivery.delivery.replay',
  version: 1,
  request: z.object({ userId: UserId, webhookId: PathId, logId: PathId }),
  reply: z.object({ success: z.literal(true), logId: z.uuid(), message: z.literal('Delivery re-enqueued') }),
  summary: 'POST /api/webhooks/:id/logs/:logId/replay (201): a new series of attempts; 409 if still pending',
});
