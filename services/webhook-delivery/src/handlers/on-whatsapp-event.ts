/**
 * Fan-out: one delivery per (event, active webhook of the connection whose filter matches), rows written
 * before any attempt. The first attempt runs inline when the endpoint is fast (else a thin task is enqueued);
 * the broker acks the event only after that outcome is durable, so a crash in between redelivers the event,
 * which re-attempts (never re-creates) the deliveries still at 0 attempts.
 */
import type { PayloadOf, WhatsAppEvent } from '@wahooks/contracts';
import { createBatcher } from '../adapters/batcher.js';
import { webhookBody } from '../domain/webhook-body.js';
import type { Deps } from './deps.js';

export function onWhatsAppEvent(
  deps: Pick<Deps, 'deliveries' | 'config'>,
  firstAttempt: (deliveryId: string) => Promise<void>,
) {
  const fanOut = createBatcher(deps.deliveries.fanOut, { maxSize: 500, maxInFlight: 3 });
  return async (event: PayloadOf<typeof WhatsAppEvent>): Promise<void> => {
    const body = webhookBody(event, deps.config.publicApiUrl);
    const deliveryIds = await fanOut({ id: event.id, event: event.event, connectionId: event.connectionId, body });
    await Promise.all(deliveryIds.map(firstAttempt));
  };
}
