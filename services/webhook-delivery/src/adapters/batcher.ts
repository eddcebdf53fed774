/**
 * Coalesces concurrent single-item calls into one multi-row statement: the hot path does one INSERT or UPDATE
 * per batch of messages instead of one per message. Items wait at most one event-loop turn, or for a free
 * slot when `maxInFlight` batches are already running (the batch grows meanwhile). When a batch fails, its items
 * are re-run one by one, so only the item at fault fails (unless Postgres is unreachable: then they all fail).
 */
import { oncePerTurn } from '@wahooks/batching';
import { isDatabaseUnavailable } from '@wahooks/db';

export function createBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  { maxSize = 500, maxInFlight = 4 }: { maxSize?: number; maxInFlight?: number } = {},
): (item: I) => Promise<O> {
  let pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;

  const flush = () => {
    while (pending.length > 0 && inFlight < maxInFlight) {
      const batch = pending.slice(0, maxSize);
      pending = pending.slice(batch.length);
      inFlight++;
      run(batch.map((b) => b.item))
        .then(
          (out) => batch.forEach((b, i) => b.resolve(out[i] as O)),
          // One bad item (e.g. a value Postgres refuses) must not fail its 499 neighbours: retry each alone.
          // Not when Postgres is unreachable: every item would fail again, each holding a pool slot.
          (err: unknown) =>
            batch.length === 1 || isDatabaseUnavailable(err)
              ? batch.forEach((b) => b.reject(err))
              : batch.forEach((b) =>
                  run([b.item]).then(
                    (out) => b.resolve(out[0] as O),
                    (e: unknown) => b.reject(e),
                  ),
                ),
        )
        .finally(() => {
          inFlight--;
          if (pending.length > 0) schedule();
        });
    }
  };
  const schedule = oncePerTurn(flush); // setImmediate: after the poll phase, so a turn's messages share a batch

  return (item) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (inFlight < maxInFlight) schedule();
    });
}
