/**
 * Reads asked for in the same event-loop turn go to Postgres as one statement (the DataLoader pattern): under
 * load the broker hands over several commands per socket read, and one query for all of them costs one round
 * trip and one backend wakeup instead of one each. Equal keys share one result.
 */
export class TurnBatcher<K, V> {
  private pending = new Map<K, { resolve: (v: V) => void; reject: (err: unknown) => void }[]>();
  private scheduled = false;

  /** `loadMany` answers every key it is given (keys are distinct). */
  constructor(private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>) {}

  load(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush()); // after the poll phase: every command read in this turn has asked
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
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
