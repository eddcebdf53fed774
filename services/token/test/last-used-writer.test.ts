import { describe, expect, it } from '@jest/globals';
import { LastUsedWriter, type LastUsedStore } from '../src/last-used-writer.js';

/** The batching logic only; the real UPDATE is covered by token-service.test.ts against Postgres. */
class RecordingStore implements LastUsedStore {
  batches: Map<string, Date>[] = [];
  failNext = 0;
  async touchLastUsed(usage: ReadonlyMap<string, Date>) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('database down');
    }
    this.batches.push(new Map(usage));
  }
}

describe('LastUsedWriter', () => {
  it('collapses many marks into one write per token, newest wins', async () => {
    const store = new RecordingStore();
    const writer = new LastUsedWriter(store, 60_000);
    writer.mark('a', new Date(1000));
    writer.mark('a', new Date(2000));
    writer.mark('b', new Date(1500));
    await writer.flush();
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0]).toEqual(
      new Map([
        ['a', new Date(2000)],
        ['b', new Date(1500)],
      ]),
    );
    await writer.flush();
    expect(store.batches).toHaveLength(1); // nothing pending: no write
  });

  it('a mark older than the pending one (a late gateway report) does not move it back', async () => {
    const store = new RecordingStore();
    const writer = new LastUsedWriter(store, 60_000);
    writer.mark('a', new Date(5000));
    writer.mark('a', new Date(4000));
    await writer.flush();
    expect(store.batches).toEqual([new Map([['a', new Date(5000)]])]);
  });

  it('keeps a failed batch for the next flush without losing newer marks', async () => {
    const store = new RecordingStore();
    const writer = new LastUsedWriter(store, 60_000);
    writer.mark('a', new Date(1000));
    store.failNext = 1;
    await writer.flush();
    expect(store.batches).toHaveLength(0);
    writer.mark('a', new Date(3000));
    await writer.flush();
    expect(store.batches).toEqual([new Map([['a', new Date(3000)]])]);
  });

  it('writes on its timer and once more on stop', async () => {
    const store = new RecordingStore();
    const writer = new LastUsedWriter(store, 20);
    writer.start();
    writer.mark('a');
    await new Promise((r) => setTimeout(r, 100));
    expect(store.batches.length).toBeGreaterThanOrEqual(1);
    writer.mark('b');
    await writer.stop();
    expect(store.batches.at(-1)?.has('b')).toBe(true);
  });

  it('stop() waits out a short database outage instead of dropping the last marks', async () => {
    const store = new RecordingStore();
    let outage = 3; // the next three writes hit a terminated backend
    const flaky: LastUsedStore = {
      async touchLastUsed(usage) {
        if (outage-- > 0) throw Object.assign(new Error('terminating connection'), { code: '57P01' });
        await store.touchLastUsed(usage);
      },
    };
    const writer = new LastUsedWriter(flaky, 60_000, undefined, 5000);
    writer.mark('a', new Date(1000));
    await writer.stop();
    expect(store.batches).toEqual([new Map([['a', new Date(1000)]])]);
  });
});
