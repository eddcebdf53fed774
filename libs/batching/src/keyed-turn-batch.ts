/**
 * Callers that ask for a key in the same event-loop turn are answered together: `add(key)` returns a promise,
 * and once per turn (see `oncePerTurn`) `flush` gets every key asked for in this turn with its waiters in arrival
 * order, to settle them from one round trip (one SQL statement for all keys, one Redis INCRBY per key, …).
 * Per call it costs what a hand-written version does: the promise, and one waiter object in the key's array.
 */
import { oncePerTurn } from './once-per-turn.js';

export interface Waiter<V> {
  resolve(value: V): void;
  reject(reason: unknown): void;
}

export class KeyedTurnBatch<K, V> {
  private pending = new Map<K, Waiter<V>[]>();
  private readonly schedule = oncePerTurn(() => {
    const batch = this.pending;
    this.pending = new Map();
    try {
      this.flush(batch);
    } catch (err) {
      // A bug in `flush`: fail its callers rather than leave them waiting (settled ones ignore the reject).
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  });

  /** `flush` owns the batch: it settles every waiter in it, now or when its round trip answers. */
  constructor(private readonly flush: (batch: Map<K, Waiter<V>[]>) => void) {}

  add(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }
}
