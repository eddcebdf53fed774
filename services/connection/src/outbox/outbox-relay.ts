/**
 * The connection service's relay (@wahooks/outbox): publishes `connection.outbox` with confirms, oldest first,
 * one at a time, so events of one connection reach the broker in the order they were taken from Baileys. A row
 * is marked sent only after its confirm; when the broker is down the relay backs off and retries the same row
 * (at-least-once: the event id is the idempotency key downstream). WhatsApp events are relayed by the replica
 * that holds the connection's session (`connections`); lifecycle rows (connection created/deleted) by every
 * replica whatever it owns, each under its row lock, so one replica publishes it.
 */
import type { Broker } from '@wahooks/broker';
import { WhatsAppEvent } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { startOutboxRelay as startRelay, type OutboxRelay } from '@wahooks/outbox';
import type { Logger } from '@wahooks/telemetry';
import { connectionOutbox, outboxEvents } from './outbox-repo.js';

export type { OutboxRelay } from '@wahooks/outbox';

export interface RelayOptions {
  sql: Sql;
  broker: Pick<Broker, 'publish'>;
  logger: Logger;
  /** WhatsApp events of only these connections (the ones this replica owns); undefined relays every row. */
  connections?: () => string[] | undefined;
  batchSize?: number; // rows read per round (default 200)
  idleMs?: number; // poll interval when there is nothing to send (default 500)
  retryMs?: number; // first wait after a failed publish (default 1000), doubled per failure up to 10 s
}

export function startOutboxRelay(options: RelayOptions): OutboxRelay {
  const { connections, ...rest } = options;
  return startRelay({
    ...rest,
    table: connectionOutbox,
    events: outboxEvents,
    headers: (row) => ({ 'x-connection-id': row.partitionKey }),
    partitions: { eventTypes: [WhatsAppEvent.type], keys: () => connections?.() },
  });
}
