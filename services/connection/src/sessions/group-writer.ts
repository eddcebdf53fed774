/**
 * Group commit for one session's Baileys batches: batches queue in arrival order, and whatever queued while a
 * write was in flight goes into the next transaction together. Order is kept; a burst of N messages costs a
 * few commits instead of N.
 *
 * A batch holds events WhatsApp was already sent a receipt for (Baileys acks before it emits), so it lives only
 * here until it is written. Hence:
 * - Postgres unreachable (`isDatabaseUnavailable`: a terminated backend, a failover, a refused connection):
 *   the group is retried with backoff (capped at `maxDelayMs`) for as long as it takes, never dropped; batches
 *   arriving meanwhile join the queue. The queue stays small: Baileys' own key writes wait for the database
 *   too (auth/database-auth-state.ts), so it stops acking (and emitting) new messages during the outage.
 * - any other error (a bug, a value Postgres refuses): `attempts` tries, then the group is written batch by
 *   batch, so only the batch at fault is given up (rejected, and logged with its event ids by the caller).
 * - `cancelled()` (the session closed some time ago) ends the outage retries: what is still queued is rejected.
 */
import { isDatabaseUnavailable } from '@wahooks/db';
import type { Logger } from '@wahooks/telemetry';
import type { SessionBatch } from './session-store.js';

export interface GroupWriter {
  /** Resolves once the batch is committed (or rejects when it was given up, see above). */
  enqueue(batch: SessionBatch): Promise<void>;
  /** Resolves when everything queued so far is written (or given up). */
  idle(): Promise<void>;
}

export interface GroupWriterOptions {
  /** Tries of a write failing with an error that is not an outage (default 5). */
  attempts?: number;
  /** First wait after a failure in ms (default 200), doubled per failure up to `maxDelayMs` (default 5000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Stop waiting out an outage; checked after every failure. */
  cancelled?: () => boolean;
}

export function mergeBatches(batches: SessionBatch[]): SessionBatch {
  return {
    outbox: batches.flatMap((b) => b.outbox),
    messages: batches.flatMap((b) => b.messages),
    chats: batches.flatMap((b) => b.chats),
    deletedChats: batches.flatMap((b) => b.deletedChats ?? []),
  };
}

export function createGroupWriter(
  write: (batch: SessionBatch) => Promise<void>,
  logger: Logger,
  options: GroupWriterOptions = {},
): GroupWriter {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = Math.max(options.maxDelayMs ?? 5000, baseDelayMs);
  type Queued = { batch: SessionBatch; resolve: () => void; reject: (err: unknown) => void };
  let pending: Queued[] = [];
  let draining: Promise<void> | undefined;

  async function writeWithRetry(batch: SessionBatch): Promise<void> {
    let failures = 0; // in a row, of any kind
    let bugs = 0; // of them, the ones that were not an outage
    for (;;) {
      try {
        return await write(batch);
      } catch (err) {
        failures++;
        const outage = isDatabaseUnavailable(err);
        if (!outage) bugs++;
        if ((!outage && bugs >= attempts) || (outage && options.cancelled?.())) throw err;
        const delayMs = Math.min(baseDelayMs * 2 ** Math.min(failures - 1, 20), maxDelayMs);
        // The first failures, then one line every ten: an outage of minutes must not flood the log.
        if (failures <= 3 || failures % 10 === 0)
          logger.warn(
            { err: (err as Error).message, failures, outage, events: batch.outbox.length, retryInMs: delayMs },
            'persisting a Baileys batch failed; retrying',
          );
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  async function writeGroup(group: Queued[]): Promise<void> {
    try {
      await writeWithRetry(mergeBatches(group.map((g) => g.batch)));
      for (const g of group) g.resolve();
    } catch (err) {
      if (group.length === 1 || isDatabaseUnavailable(err)) {
        for (const g of group) g.reject(err);
        return;
      }
      // One batch may be at fault: write them one by one, in order, so only that one is given up.
      for (const g of group) await writeWithRetry(g.batch).then(g.resolve, g.reject);
    }
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const group = pending;
      pending = [];
      await writeGroup(group);
    }
  }

  return {
    enqueue(batch) {
      const done = new Promise<void>((resolve, reject) => pending.push({ batch, resolve, reject }));
      draining ??= drain().finally(() => (draining = undefined));
      return done;
    },
    async idle() {
      while (draining) await draining;
    },
  };
}
