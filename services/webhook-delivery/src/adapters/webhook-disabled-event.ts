/**
 * The `webhook.disabled` event of an auto-disable, as an outbox entry (@wahooks/outbox): written in the
 * transaction of the outcome that disabled the webhook, relayed after the commit, so a disable cannot happen
 * without its event (at least once; consumers dedupe on the event id).
 */
import { WebhookDisabled } from '@wahooks/contracts';
import { outboxEntry, type OutboxEntry } from '@wahooks/outbox';
import type { DisabledWebhookRow } from './webhooks-repo.js';

export const webhookDisabledEntry = (w: DisabledWebhookRow): OutboxEntry<typeof WebhookDisabled> =>
  outboxEntry(
    WebhookDisabled,
    {
      webhookId: w.id,
      userId: w.user_id,
      connectionId: w.connection_id,
      url: w.url,
      reason: w.disabled_reason,
      disabledAt: w.disabled_at.toISOString(),
    },
    { partitionKey: w.id },
  );
