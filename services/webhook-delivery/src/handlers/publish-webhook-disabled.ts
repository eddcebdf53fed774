/**
 * The outbox of `webhook.disabled`: the disable itself is written with the attempt outcome that caused it
 * (`disable_unpublished = true`); this publishes the event and then clears the flag. At least once: a crash or
 * a broker error in between leaves the flag set, and the sweep publishes it again.
 */
import { WebhookDisabled } from '@wahooks/contracts';
import type { DisabledWebhookRow } from '../adapters/webhooks-repo.js';
import type { Deps } from './deps.js';

export function publishWebhookDisabled(deps: Pick<Deps, 'broker' | 'webhooks' | 'logger'>) {
  return async (w: DisabledWebhookRow): Promise<void> => {
    deps.logger.warn({ webhookId: w.id, reason: w.disabled_reason }, 'webhook disabled');
    await deps.broker.publish(WebhookDisabled, {
      webhookId: w.id,
      userId: w.user_id,
      connectionId: w.connection_id,
      url: w.url,
      reason: w.disabled_reason,
      disabledAt: w.disabled_at.toISOString(),
    });
    await deps.webhooks.markDisablePublished(w.id);
  };
}
