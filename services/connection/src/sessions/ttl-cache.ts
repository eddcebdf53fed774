/**
 * A per-session Baileys CacheStore that lives across reconnects (retry counters, device lists, call offers).
 * Expiry is lazy and the size is capped, so unlike a NodeCache it starts no timer per instance.
 */
import type { CacheStore } from '@whiskeysockets/baileys';

export function createTtlCache(ttlMs: number, maxEntries = 1000): CacheStore & { size(): number } {
  const map = new Map<string, { value: unknown; expires: number }>();
  const live = (key: string) => {
    const e = map.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    return e;
  };
  return {
    get<T>(key: string) {
      return live(key)?.value as T | undefined;
    },
    set<T>(key: string, value: T) {
      map.delete(key); // re-insert at the end: Map order is the eviction order
      map.set(key, { value, expires: Date.now() + ttlMs });
      if (map.size > maxEntries) map.delete(map.keys().next().value as string);
    },
    del(key: string) {
      map.delete(key);
    },
    flushAll() {
      map.clear();
    },
    size: () => map.size,
  };
}
