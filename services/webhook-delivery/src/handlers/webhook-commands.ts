/** The webhook-config commands (docs/api.md; rotate-secret included). */
import { randomBytes } from 'node:crypto';
import { handle, type CommandBinding } from '@wahooks/broker';
import {
  AppError,
  CreateWebhook,
  newEventId,
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
import { checkWebhookUrl } from './validate-input.js';

const newSecret = () => randomBytes(32).toString('hex');

export function webhookCommands(deps: Deps): CommandBinding[] {
  const own = ownership(deps);
  const q = queues(deps.broker);
  return [
    handle(ListWebhooks, async ({ userId, connectionId }) => {
      await own.connection(userId, connectionId);
      return (await deps.webhooks.list(connectionId)).map(toWebhookConfig);
    }),

    // url and events were parsed by the request schema (400 before this runs); the address check needs DNS.
    handle(CreateWebhook, async ({ userId, connectionId, url, events }) => {
      await own.connection(userId, connectionId);
      const checkedUrl = await checkWebhookUrl(url, deps.guard);
      const max = deps.config.maxWebhooksPerConnection;
      const row = await deps.webhooks.create(
        { userId, connectionId, url: checkedUrl, events, secret: newSecret() },
        max,
      );
      if (!row) throw new AppError(409, `A connection can have at most ${max} webhooks; delete one first`);
      return toWebhookConfig(row);
    }),

    handle(UpdateWebhook, async ({ userId, webhookId, url, events, active }) => {
      await own.webhook(userId, webhookId);
      const patch = { url: url === undefined ? undefined : await checkWebhookUrl(url, deps.guard), events, active };
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
      // Ignores `active` and the filter, as the original.
      const logId = await deps.deliveries.createForced(newEventId(), 'test', testEventBody(), webhookId);
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
