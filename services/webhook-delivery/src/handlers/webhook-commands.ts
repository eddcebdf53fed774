/** The webhook-config commands (SPEC §3.4 + rotate-secret). */
import { randomBytes } from 'node:crypto';
import { handle, ulid, type CommandBinding } from '@wahooks/broker';
import {
  badRequest,
  CreateWebhook,
  DeleteWebhook,
  notFound,
  ListWebhooks,
  RotateWebhookSecret,
  TestWebhook,
  UpdateWebhook,
} from '@wahooks/contracts';
import { toWebhookConfig } from '../adapters/webhooks-repo.js';
import { testEventBody } from '../domain/webhook-body.js';
import { queues, type Deps } from './deps.js';
import { ownership } from './ownership.js';
import { checkActive, checkEvents, checkWebhookUrl } from './validate-input.js';

const newSecret = () => randomBytes(32).toString('hex');

export function webhookCommands(deps: Deps): CommandBinding[] {
  const own = ownership(deps);
  const q = queues(deps.broker);
  return [
    handle(ListWebhooks, async ({ userId, connectionId }) => {
      await own.connection(userId, connectionId);
      return (await deps.webhooks.list(connectionId)).map(toWebhookConfig);
    }),

    handle(CreateWebhook, async ({ userId, connectionId, url, events }) => {
      if (url === undefined || url === null || events === undefined || events === null) {
        throw badRequest('url and events are required');
      }
      await own.connection(userId, connectionId);
      const checkedEvents = checkEvents(events);
      const checkedUrl = await checkWebhookUrl(url, deps.guard);
      const row = await deps.webhooks.create({
        userId,
        connectionId,
        url: checkedUrl,
        events: checkedEvents,
        secret: newSecret(),
      });
      return toWebhookConfig(row);
    }),

    handle(UpdateWebhook, async ({ userId, webhookId, url, events, active }) => {
      await own.webhook(userId, webhookId);
      const patch = {
        url: url === undefined ? undefined : await checkWebhookUrl(url, deps.guard),
        events: events === undefined ? undefined : checkEvents(events),
        active: active === undefined ? undefined : checkActive(active),
      };
      const row = await deps.webhooks.update(webhookId, patch);
      if (!row) throw notFound('Webhook config not found'); // deleted concurrently
      return toWebhookConfig(row);
    }),

    handle(DeleteWebhook, async ({ userId, webhookId }) => {
      await own.webhook(userId, webhookId);
      await deps.webhooks.delete(webhookId);
      return { success: true as const };
    }),

    handle(TestWebhook, async ({ userId, webhookId }) => {
      await own.webhook(userId, webhookId);
      // Ignores `active` and the filter, as the original (SPEC §4.6).
      const logId = await deps.deliveries.createForced(
        `evt_${ulid().toLowerCase()}`,
        'test',
        testEventBody(),
        webhookId,
      );
      await q.attempt(logId, 1);
      return { success: true as const, logId, message: 'Test event enqueued for delivery' as const };
    }),

    handle(RotateWebhookSecret, async ({ userId, webhookId }) => {
      await own.webhook(userId, webhookId);
      const row = await deps.webhooks.rotate(webhookId, newSecret(), deps.config.secretGraceMs);
      if (!row) throw notFound('Webhook config not found'); // deleted concurrently
      return { ...toWebhookConfig(row), previousSecretExpiresAt: row.previous_secret_expires_at!.toISOString() };
    }),
  ];
}
