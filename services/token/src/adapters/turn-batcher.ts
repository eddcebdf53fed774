/**
 * Reads asked for in the same event-loop turn go to Postgres as one statement (the DataLoader pattern): under
 * load the broker hands over several commands per socket read, and one query for all of them costs one round
 * trip and one backend wakeup instead of one each. Equal keys share one result.
 */
import { KeyedTurnBatch, type Waiter } from '@wahooks/batching';

export class TurnBatcher<K, V> {
  // Flushed by setImmediate, after the poll phase: every command read in this turn has asked.
  private readonly batch = new KeyedTurnBatch<K, V>((batch) => this.flush(batch));

  /** `loadMany` answers every key it is given (keys are distinct). */
  constructor(private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>) {}

  load(key: K): Promise<V> {
    return this.batch.add(key);
  }

  private flush(batch: Map<K, Waiter<V>[]>): void {
    this.loadMany([...batch.keys()]).then(
      (values) => {
        for (const [key, waiters] of batch) {
          const value = values.get(key);
          for (const w of waiters) {
            if (value === undefined) w.reject(new Error('batched read returned no value for a key'));
            else w.resolve(value);
          }
        }
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
