import { describe, expect, it } from '@jest/globals';
import { Limiter } from '../src/limiter.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Limiter', () => {
  it('runs at most max tasks at once, the rest in arrival order, and passes results and errors through', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(n);
      await tick();
      running--;
      if (n === 3) throw new Error('three');
      return n * 10;
    };
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => limiter.run(task(n))));
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      10,
      20,
      'three',
      40,
      50,
    ]);
    expect(limiter.queued).toBe(0);
    // A failed task frees its slot: the limiter still runs two at once afterwards.
    peak = 0;
    await Promise.all([6, 7].map((n) => limiter.run(task(n))));
    expect(peak).toBe(2);
  });
});
