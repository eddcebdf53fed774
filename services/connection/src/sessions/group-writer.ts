/**
 * Group commit for one session's Baileys batches: batches queue in arrival order, and whatever queued while a
 * write was in flight goes into the next transaction together. Order is kept; a burst of N messages costs a
 * few commits instead of N. A failed write is retried with backoff before its batches are given up.
 */
import type { Logger } from '@wahooks/telemetry';
import type { SessionBatch } from './session-store.js';

export interface GroupWriter {
  /** Resolves once the batch is committed (or rejects after the retries). */
  enqueue(batch: SessionBatch): Promise<void>;
  /** Resolves when everything queued so far is written (or given up). */
  idle(): Promise<void>;
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
  options: { attempts?: number; baseDelayMs?: number } = {},
): GroupWriter {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 200;
  let pending: { batch: SessionBatch; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let draining: Promise<void> | undefined;

  async function writeWithRetry(batch: SessionBatch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(batch);
      } catch (err) {
        if (attempt >= attempts) throw err;
        logger.warn({ err: (err as Error).message, attempt }, 'persisting a Baileys batch failed; retrying');
        await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const group = pending;
      pending = [];
      try {
        await writeWithRetry(mergeBatches(group.map((g) => g.batch)));
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
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
