/**
 * Commands answered by webhook-delivery (docs/api.md, docs/webhooks.md). Every request carries the caller's `userId`;
 * the service checks ownership (404 Connection not found / 403 You do not own this connection, 404 Webhook
 * config not found / 403 You do not own this webhook config).
 *
 * Body and query fields are validated by the schemas below, with the documented 400 messages (`url and events
 * are required`, …): the gateway parses the HTTP body with the same schema (so OpenAPI documents it), the broker
 * checks it again on both sides of the wire. Only what needs I/O stays in the service: a webhook URL whose host
 * resolves to a loopback, private, link-local or metadata address is refused there (a DNS lookup).
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';
import { clipList } from '../errors.js';
import { WhatsAppEventNames } from '../events/connection.js';

const UserId = z.uuid();
/** Path ids are checked by the service (a non-uuid id is simply "not found"), so they are plain strings here. */
const PathId = z.string();

const REQUIRED = 'url and events are required';
const URL_INVALID = 'url must be an http(s) URL';

/**
 * A webhook URL: trimmed, parsed and normalised (`new URL(...).toString()`). `whenMissing` is the message for
 * an absent or null url: required on create, only a wrong value on update.
 */
const webhookUrl = (whenMissing: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? whenMissing : URL_INVALID) })
    .trim()
    .transform((raw, ctx) => {
      const refuse = (message: string) => {
        ctx.issues.push({ code: 'custom', message, input: raw });
        return z.NEVER;
      };
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return refuse(URL_INVALID);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('url must use http or https');
      if (!url.hostname) return refuse('url must have a host');
      return url.toString();
    })
    .meta({
      description:
        'http(s) URL the events are POSTed to. Refused when its host resolves to a loopback, private, link-local or cloud-metadata address',
      format: 'uri',
    });

/** What a webhook filter accepts: the event names of `WhatsAppEventNames`, or "*" for every event. */
export const WebhookEventFilterNames = [...WhatsAppEventNames, '*'] as const;
const knownEventNames = new Set<string>(WebhookEventFilterNames);
const EVENTS_INVALID = 'events must be an array of event names';

/** A webhook's event filter: exact names or "*", no prefixes or globs; duplicates dropped. */
export const WebhookEvents = z
  .array(z.string({ error: EVENTS_INVALID }).meta({ enum: [...WebhookEventFilterNames] }), {
    // null is "missing" even on update, as the service always answered.
    error: (issue) => (issue.input === undefined || issue.input === null ? REQUIRED : EVENTS_INVALID),
  })
  .min(1, { error: 'events must not be empty (use ["*"] for every event)' })
  .check((ctx) => {
    const unknown = ctx.value.filter((e) => !knownEventNames.has(e));
    if (unknown.length)
      ctx.issues.push({ code: 'custom', message: `unknown event name(s): ${clipList(unknown)}`, input: ctx.value });
  })
  .transform((events) => [...new Set(events)])
  .meta({ description: 'Event names to deliver (exact names), or ["*"] for every event' });

export const WebhookActive = z.boolean({ error: 'active must be a boolean' }).meta({
  description: 'false stops deliveries; true re-activates the webhook and resets its failure counters',
});

/** POST /api/connections/:connectionId/webhooks. Other fields are dropped. */
export const CreateWebhookBody = z.object({ url: webhookUrl(REQUIRED), events: WebhookEvents });

/** PUT /api/webhooks/:id: any of the fields; absent ones are left as they are. */
export const UpdateWebhookBody = z.object({
  url: webhookUrl(URL_INVALID).optional(),
  events: WebhookEvents.optional(),
  active: WebhookActive.optional(),
});

/** The webhook config object, as the original returns it: the full row, secret included every time. */
export const WebhookConfig = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  sessionId: z.uuid(), // the connection id (the original's column name)
  url: z.string(),
  events: z.array(z.string()),
  signingSecret: z.string().regex(/^[0-9a-f]{64}$/), // randomBytes(32) hex, used as a UTF-8 HMAC key (docs/webhooks.md)
  active: z.boolean(),
  createdAt: z.string(), // ISO-8601
  updatedAt: z.string(),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

/** One HTTP attempt of a delivery (logs carry their attempts). */
export const DeliveryAttempt = z.object({
  attempt: z.number().int().min(1), // 1-based, counted over the delivery's whole life (replays continue it)
  at: z.string(), // ISO-8601 start of the request
  statusCode: z.number().int().nullable(), // null: no HTTP answer (timeout, refused, DNS, blocked address)
  durationMs: z.number().int(),
  error: z.string().nullable(), // e.g. "HTTP 500", "TIMEOUT", "BLOCKED_ADDRESS: …"
  responseBody: z.string().nullable(), // first 4 KB of the answer
});

/** A log row = one delivery of one event to one webhook (the original API's shape + eventId + attemptLog). */
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
  request: CreateWebhookBody.extend({ userId: UserId, connectionId: PathId }),
  reply: WebhookConfig,
  summary: 'POST /api/connections/:connectionId/webhooks (201): http(s) url not resolving to private addresses',
});

export const UpdateWebhook = defineCommand({
  name: 'webhook-delivery.config.update',
  version: 1,
  request: UpdateWebhookBody.extend({ userId: UserId, webhookId: PathId }),
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

/** The original returns at most 100 rows; so does a page. */
export const LOG_PAGE_MAX = 100;
const LIMIT_INVALID = `limit must be an integer between 1 and ${LOG_PAGE_MAX}`;
const BEFORE_INVALID = 'before must be a cursor from the X-Next-Cursor header';
const EVENT_INVALID = 'event must be an event name';

/** GET /api/webhooks/:id/logs query. `limit` arrives as a string over HTTP and as a number from other callers. */
export const LogQuery = z.object({
  status: z
    .enum(LogStatus.options, { error: 'status must be one of pending, delivered, failed' })
    .optional()
    .meta({ description: 'Only logs in this state' }),
  event: z
    .string({ error: EVENT_INVALID })
    // the characters of event names (`message.ack`): a NUL would reach Postgres and fail there as a 500
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: EVENT_INVALID })
    .optional()
    .meta({ description: 'Only logs of this exact event name, e.g. message.ack' }),
  limit: z
    .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: LIMIT_INVALID })
    .pipe(
      z
        .number()
        .int({ error: LIMIT_INVALID })
        .min(1, { error: LIMIT_INVALID })
        .max(LOG_PAGE_MAX, { error: LIMIT_INVALID }),
    )
    .default(LOG_PAGE_MAX)
    .meta({ description: `Page size, 1 to ${LOG_PAGE_MAX} (default ${LOG_PAGE_MAX})` }),
  before: z
    .uuid({ error: BEFORE_INVALID }) // a cursor is a log id
    .optional()
    .meta({ description: 'The X-Next-Cursor header of the previous page: logs older than that one' }),
});

export const ListWebhookLogs = defineCommand({
  name: 'webhook-delivery.logs.list',
  version: 1,
  request: LogQuery.extend({ userId: UserId, webhookId: PathId }),
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
  summary: 'POST /api/webhooks/:id/test (201): the test event (docs/events.md), ignoring active and the filter',
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
