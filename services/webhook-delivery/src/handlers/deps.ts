import type { Broker } from '@wahooks/broker';
import type { OutboxRelay } from '@wahooks/outbox';
import type { Logger } from '@wahooks/telemetry';
import type { Config } from '../config.js';
import type { ConnectionsRepo } from '../adapters/connections-repo.js';
import type { DeliveriesRepo } from '../adapters/deliveries-repo.js';
import type { WebhooksRepo } from '../adapters/webhooks-repo.js';
import type { HttpSender } from '../adapters/http-sender.js';
import type { SsrfGuard } from '@wahooks/outbound-http';
import type { RetryPolicy } from '../domain/retry-schedule.js';
import { AttemptQueue, delayQueue, encodeTask, encodeTasks, ParkedQueue } from '../topology.js';

export interface Deps {
  config: Config;
  logger: Logger;
  broker: Broker;
  webhooks: WebhooksRepo;
  connections: ConnectionsRepo;
  deliveries: DeliveriesRepo;
  guard: SsrfGuard;
  sender: HttpSender;
  policy: RetryPolicy;
  /** Relays the outbox (`webhook.disabled`); kick it after writing a row. */
  outbox: Pick<OutboxRelay, 'kick'>;
}

/** Publishing the thin tasks (ids only) onto this service's queues, through the default exchange. */
export const queues = (broker: Broker) => ({
  attempt: (deliveryId: string, attempt: number) =>
    broker.publishRaw('', AttemptQueue, encodeTask({ deliveryId, attempt })),
  /** Several deliveries' same-numbered attempt as one message (see encodeTasks). */
  attemptMany: (deliveryIds: string[], attempt: number) =>
    broker.publishRaw('', AttemptQueue, encodeTasks(deliveryIds, attempt)),
  delay: (ms: number, deliveryId: string, attempt: number) =>
    broker.publishRaw('', delayQueue(ms), encodeTask({ deliveryId, attempt })),
  park: (deliveryId: string, attempt: number) =>
    broker.publishRaw('', ParkedQueue, encodeTask({ deliveryId, attempt })),
});
