/** Delivery logs (newest first, filtered, paginated) and replay. */
import { handle, type CommandBinding } from '@wahooks/broker';
import { AppError, isUuid, ListWebhookLogs, notFound, ReplayDelivery, type WebhookLog } from '@wahooks/contracts';
import type { AttemptRow, LogRow } from '../adapters/deliveries-repo.js';
import { queues, type Deps } from './deps.js';
import { ownership } from './ownership.js';
import { staleAfterMs } from './sweep-stale-deliveries.js';

const toLog = (l: LogRow, attempts: AttemptRow[]): WebhookLog => ({
  id: l.id,
  webhookConfigId: l.webhook_id,
  eventId: l.event_id,
  eventType: l.event_type,
  payload: JSON.parse(l.body) as unknown,
  status: l.status,
  attempts: l.attempts,
  deliveredAt: l.delivered_at ? l.delivered_at.toISOString() : null,
  createdAt: l.created_at.toISOString(),
  attemptLog: attempts.map((a) => ({
    attempt: a.attempt,
    at: a.started_at.toISOString(),
    statusCode: a.status_code,
    durationMs: a.duration_ms,
    error: a.error,
    responseBody: a.response_body,
  })),
});

export function logCommands(deps: Deps): CommandBinding[] {
  const own = ownership(deps);
  const q = queues(deps.broker);
  return [
    // The filter (status, event, limit 1..100 default 100, before) was parsed by the request schema (LogQuery).
    handle(ListWebhookLogs, async ({ userId, webhookId, ...filter }) => {
      await own.webhook(userId, webhookId);
      const { page, attempts, hasMore } = await deps.deliveries.listLogs(webhookId, filter);
      const byDelivery = new Map<string, AttemptRow[]>();
      for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
      return {
        items: page.map((l) => toLog(l, byDelivery.get(l.id) ?? [])),
        nextCursor: hasMore ? page[page.length - 1]!.id : null,
      };
    }),

    handle(ReplayDelivery, async ({ userId, webhookId, logId }) => {
      await own.webhook(userId, webhookId);
      const d = isUuid(logId) ? await deps.deliveries.get(logId) : null;
      if (!d || d.webhook_id !== webhookId) throw notFound('Webhook log not found');
      // A pending delivery whose next attempt is long overdue lost its queue message: replaying it is safe.
      const attempts = await deps.deliveries.resetForReplay(logId, staleAfterMs(deps.config, deps.policy));
      if (attempts === null)
        throw new AppError(409, 'Delivery is still pending; replay it once it has failed or been delivered');
      await q.attempt(logId, attempts + 1);
      return { success: true as const, logId, message: 'Delivery re-enqueued' as const };
    }),
  ];
}
