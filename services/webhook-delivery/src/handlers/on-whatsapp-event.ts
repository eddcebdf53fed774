/**
 * Fan-out: one delivery per (event, active webhook of the connection whose filter matches), rows written
 * before anything is enqueued, then one thin task per delivery. The broker acks the event after this returns,
 * so a crash in between redelivers the event, which re-enqueues (never re-creates) its deliveries.
 */
import type { PayloadOf, WhatsAppEvent } from '@wahooks/contracts';
import { createBatcher } from '../adapters/batcher.js';
import { webhookBody } from '../domain/webhook-body.js';
import { queues, type Deps } from './deps.js';

export function onWhatsAppEvent(deps: Pick<Deps, 'deliveries' | 'broker' | 'config'>) {
  const fanOut = createBatcher(deps.deliveries.fanOut, { maxSize: 500, maxInFlight: 3 });
  const q = queues(deps.broker);
  return async (event: PayloadOf<typeof WhatsAppEvent>): Promise<void> => {
    const body = webhookBody(event, deps.config.publicApiUrl);
    const deliveryIds = await fanOut({ id: event.id, event: event.event, connectionId: event.connectionId, body });
    await Promise.all(deliveryIds.map((d) => q.attempt(d, 1)));
  };
}
