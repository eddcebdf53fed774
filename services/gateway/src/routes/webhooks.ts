/**
 * Webhook configs and delivery logs (docs/api.md, docs/webhooks.md): thin forwards to webhook-delivery. Bodies and
 * the logs query are parsed here with the commands' own schemas (documented messages such as `url and events are
 * required`); webhook-delivery checks ownership and refuses URLs that resolve to private addresses.
 */
import { z } from 'zod';
import {
  CreateWebhook,
  CreateWebhookBody,
  DeleteWebhook,
  ListWebhookLogs,
  ListWebhooks,
  LogQuery,
  ReplayDelivery,
  RotateWebhookSecret,
  TestWebhook,
  UpdateWebhook,
  UpdateWebhookBody,
  WebhookConfig,
  WebhookLog,
} from '@wahooks/contracts';
import { defineRoute, httpReply } from '../http/define-route.js';

const connectionParams = z.object({ connectionId: z.string().meta({ description: 'The connection id (uuid)' }) });
const WebhookId = z.string().meta({ description: 'The webhook config id (uuid)' });
const webhookParams = z.object({ id: WebhookId });

export const webhookRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/connections/:connectionId/webhooks',
    auth: true,
    tag: 'webhooks',
    summary: 'Every webhook config of a connection, active or not',
    params: connectionParams,
    response: z.array(WebhookConfig),
    errors: [403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(ListWebhooks, { userId: user.id, connectionId: params.connectionId }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/connections/:connectionId/webhooks',
    auth: true,
    tag: 'webhooks',
    summary: 'Create a webhook config (http(s) URL, event names or "*"); the signing secret is 64 hex characters',
    params: connectionParams,
    body: CreateWebhookBody,
    response: WebhookConfig,
    errors: [400, 403, 404],
    handler: ({ broker, user, params, body }) =>
      broker.request(CreateWebhook, {
        userId: user.id,
        connectionId: params.connectionId,
        url: body.url,
        events: body.events,
      }),
  }),
  defineRoute({
    method: 'put',
    path: '/api/webhooks/:id',
    auth: true,
    summary: 'Update url, events and/or active',
    params: webhookParams,
    body: UpdateWebhookBody,
    response: WebhookConfig,
    errors: [400, 403, 404],
    handler: ({ broker, user, params, body }) =>
      broker.request(UpdateWebhook, {
        userId: user.id,
        webhookId: params.id,
        url: body.url,
        events: body.events,
        active: body.active,
      }),
  }),
  defineRoute({
    method: 'delete',
    path: '/api/webhooks/:id',
    auth: true,
    summary: 'Delete a webhook config and its logs',
    params: webhookParams,
    response: z.object({ success: z.literal(true) }),
    errors: [403, 404],
    handler: ({ broker, user, params }) => broker.request(DeleteWebhook, { userId: user.id, webhookId: params.id }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/webhooks/:id/logs',
    auth: true,
    summary:
      'Delivery logs, newest first, each with its attempts; ?status=&event=&limit=&before=; next page cursor in X-Next-Cursor',
    params: webhookParams,
    query: LogQuery,
    response: z.array(WebhookLog),
    errors: [400, 403, 404],
    handler: async ({ broker, user, params, query }) => {
      const page = await broker.request(ListWebhookLogs, { userId: user.id, webhookId: params.id, ...query });
      // Exposed so browser clients (CORS) can read the cursor too.
      const headers: Record<string, string> = { 'Access-Control-Expose-Headers': 'X-Next-Cursor' };
      if (page.nextCursor) headers['X-Next-Cursor'] = page.nextCursor;
      return httpReply(200, page.items, headers);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/webhooks/:id/test',
    auth: true,
    summary: 'Send the test event (ignores active and the event filter)',
    params: webhookParams,
    response: TestWebhook.reply,
    errors: [403, 404],
    handler: ({ broker, user, params }) => broker.request(TestWebhook, { userId: user.id, webhookId: params.id }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/webhooks/:id/rotate-secret',
    auth: true,
    summary: 'Rotate the signing secret; the old one keeps signing (second webhook-signature) for a grace period',
    params: webhookParams,
    response: RotateWebhookSecret.reply,
    errors: [403, 404],
    handler: ({ broker, user, params }) =>
      broker.request(RotateWebhookSecret, { userId: user.id, webhookId: params.id }),
  }),
  defineRoute({
    method: 'post',
    path: '/api/webhooks/:id/logs/:logId/replay',
    auth: true,
    summary: 'Replay a failed or delivered delivery (same webhook-id); 409 while it is pending',
    params: z.object({ id: WebhookId, logId: z.string().meta({ description: 'The delivery log id (uuid)' }) }),
    response: ReplayDelivery.reply,
    errors: [403, 404, 409],
    handler: ({ broker, user, params }) =>
      broker.request(ReplayDelivery, { userId: user.id, webhookId: params.id, logId: params.logId }),
  }),
];
