/**
 * Publishes outbox rows to RabbitMQ with publisher confirms, oldest first, one at a time, so events of one
 * connection reach the broker in the order they were taken from Baileys. A row is marked sent only after
 * its confirm; when the broker is down the relay waits and retries the same row (at-least-once: the event
 * id is the idempotency key downstream). Lifecycle rows (connection created/deleted) are relayed by every
 * replica whatever it owns, each under its row lock, so one replica publishes it.
 */
import { ConnectionCreated, ConnectionDeleted, WhatsAppEvent, type AnyEvent } from '@wahooks/contracts';
import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import type { Sql } from '../db/sql.js';
import { lockUnsent, markSent, unsent, type OutboxRow } from './outbox-repo.js';

export interface RelayOptions {
  sql: Sql;
  broker: Pick<Broker, 'publish' | 'isConnected'>;
  logger: Logger;
  /** WhatsApp events of only these connections (the ones this replica owns); undefined relays every row. */
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

const contracts = new Map<string, AnyEvent>(
  [WhatsAppEvent, ConnectionCreated, ConnectionDeleted].map((e) => [e.type, e as AnyEvent]),
);

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
    const contract = contracts.get(row.eventType);
    if (!contract) throw new Error(`outbox row ${row.seq}: unknown event type ${row.eventType}`);
    await broker.publish(contract, JSON.parse(row.body) as never, {
      id: row.eventId,
      headers: { 'x-connection-id': row.connectionId },
    });
  }

  /**
   * Lifecycle rows are seen by every replica: publish one under its row lock and mark it sent in the same
   * transaction, so replicas do not both publish it. Waiting on the lock (not skipping) keeps the order: a
   * connection's later rows are not published before another replica has published this one.
   */
  async function publishShared(row: OutboxRow): Promise<void> {
    await sql.transaction(async (tx) => {
      if (!(await lockUnsent(tx, row.seq))) return; // another replica published it
      await publishRow(row);
      await markSent(tx, [row.seq]);
    });
  }

  async function round(): Promise<boolean> {
    const ids = options.connections?.();
    const rows = await unsent(sql, batchSize, ids);
    if (rows.length === 0) return false;
    const sent: string[] = [];
    try {
      for (const row of rows) {
        if (stopped) break;
        if (row.eventType !== WhatsAppEvent.type) {
          await publishShared(row);
          continue;
        }
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
