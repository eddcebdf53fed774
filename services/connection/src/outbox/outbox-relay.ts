/**
 * Publishes outbox rows to RabbitMQ with publisher confirms, oldest first, one at a time, so events of one
 * connection reach the broker in the order they were taken from Baileys. A row is marked sent only after
 * its confirm; when the broker is down the relay waits and retries the same row (at-least-once: the event
 * id is the idempotency key downstream).
 */
import { WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';
import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import type { Sql } from '../db/sql.js';
import { markSent, unsent, type OutboxRow } from './outbox-repo.js';

export interface RelayOptions {
  sql: Sql;
  broker: Pick<Broker, 'publish' | 'isConnected'>;
  logger: Logger;
  /** Only these connections (the ones this replica owns); undefined relays every row. */
  connections?: () => string[] | undefined;
  batchSize?: number; // rows read per round (default 200)
  idleMs?: number; // poll interval when there is nothing to send (default 500)
  retryMs?: number; // wait after a failed publish (default 1000)
}

export interface OutboxRelay {
  /** Wake the relay now (called right after events are appended). */
  kick(): void;
  /** Resolves once every row visible to this relay has been published (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startOutboxRelay(options: RelayOptions): OutboxRelay {
  const { sql, broker, logger } = options;
  const batchSize = options.batchSize ?? 200;
  const idleMs = options.idleMs ?? 500;
  const retryMs = options.retryMs ?? 1000;
  let stopped = false;
  let wake: (() => void) | undefined;
  let pending = true; // something may be waiting: read before sleeping
  const emptyWaiters: (() => void)[] = [];

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function publishRow(row: OutboxRow): Promise<void> {
    const envelope = JSON.parse(row.body) as WhatsAppEventPayload;
    await broker.publish(WhatsAppEvent, envelope, {
      id: row.eventId,
      headers: { 'x-connection-id': row.connectionId },
    });
  }

  async function round(): Promise<boolean> {
    const ids = options.connections?.();
    if (ids && ids.length === 0) return false;
    const rows = await unsent(sql, batchSize, ids);
    if (rows.length === 0) return false;
    const sent: string[] = [];
    try {
      for (const row of rows) {
        if (stopped) break;
        await publishRow(row);
        sent.push(row.seq);
        // Mark in small groups so a crash re-sends at most a few confirmed rows.
        if (sent.length >= 50) await markSent(sql, sent.splice(0));
      }
    } finally {
      await markSent(sql, sent);
    }
    return true;
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        pending = false;
        const worked = await round();
        if (!worked && !pending) {
          emptyWaiters.splice(0).forEach((w) => w());
          await sleep(idleMs);
        }
      } catch (err) {
        if (stopped) break;
        logger.warn({ err: (err as Error).message }, 'outbox relay: publish failed; retrying');
        await sleep(retryMs);
      }
    }
  })();

  const kick = () => {
    pending = true;
    wake?.();
  };

  return {
    kick,
    drained(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`outbox not drained within ${timeoutMs} ms`)), timeoutMs);
        emptyWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        kick();
      });
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
