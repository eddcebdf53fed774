import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import type { Config } from '../config.js';
import type { ConnectionsRepo } from '../adapters/connections-repo.js';
import type { DeliveriesRepo } from '../adapters/deliveries-repo.js';
import type { WebhooksRepo } from '../adapters/webhooks-repo.js';
import type { HttpSender } from '../adapters/http-sender.js';
import type { SsrfGuard } from '../domain/ssrf-guard.js';
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
}

/** Publishing the thin tasks (ids only) onto this service's queues, through the default exchange. */
export const queues = (broker: Broker) => ({
  attempt: (d: string, a: number) => broker.publishRaw('', AttemptQueue, encodeTask({ d, a })),
  /** Several deliveries' same-numbered attempt as one message (see encodeTasks). */
  attemptMany: (ds: string[], a: number) => broker.publishRaw('', AttemptQueue, encodeTasks(ds, a)),
  delay: (ms: number, d: string, a: number) => broker.publishRaw('', delayQueue(ms), encodeTask({ d, a })),
  park: (d: string, a: number) => broker.publishRaw('', ParkedQueue, encodeTask({ d, a })),
});
