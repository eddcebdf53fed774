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

describe('Limiter.outside', () => {
  it('gives the slot back while a task waits, and takes one again ahead of tasks not started', async () => {
    const limiter = new Limiter(1);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const waiter = limiter.run(async () => {
      order.push('waiter starts');
      await limiter.outside(() => gate); // the one slot is free meanwhile
      order.push('waiter resumes');
    });
    const quick = limiter.run(async () => {
      order.push('quick runs');
      await tick();
      release(); // the waiter wants its slot back while quick still holds it
      await tick();
      order.push('quick ends');
    });
    const later = limiter.run(async () => void order.push('later runs'));
    await Promise.all([waiter, quick, later]);
    // One slot: quick ran while the waiter waited; the waiter came back before `later`, queued before it resumed.
    expect(order).toEqual(['waiter starts', 'quick runs', 'quick ends', 'waiter resumes', 'later runs']);
    expect(limiter.queued).toBe(0);
  });
});
