import { describe, expect, it } from '@jest/globals';
import { createBatcher } from '../src/adapters/batcher.js';

describe('batcher', () => {
  it('re-runs a failed batch item by item, so only the bad item fails', async () => {
    const calls: number[][] = [];
    const run = createBatcher(async (items: number[]) => {
      calls.push(items);
      if (items.includes(13)) throw new Error('bad item');
      return items.map((i) => i * 2);
    });
    const results = await Promise.allSettled([1, 13, 3].map(run));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[0]).toMatchObject({ value: 2 });
    expect(results[2]).toMatchObject({ value: 6 });
    expect(calls[0]).toEqual([1, 13, 3]);
    expect(calls.slice(1).sort()).toEqual([[1], [13], [3]].sort());
  });

  it('Postgres unreachable: the whole batch fails at once (each item would fail again)', async () => {
    const calls: number[][] = [];
    const run = createBatcher(async (items: number[]) => {
      calls.push(items);
      throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    });
    const results = await Promise.allSettled([1, 2, 3].map(run));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toEqual([[1, 2, 3]]);
  });
});
