/** oncePerTurn and KeyedTurnBatch: what one event-loop turn hands over, and when. */
import { describe, expect, it } from '@jest/globals';
import { KeyedTurnBatch, oncePerTurn, type Waiter } from '../src/index.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('oncePerTurn', () => {
  it('runs flush once for any number of schedules in one turn, after the microtasks of that turn', async () => {
    let flushes = 0;
    const schedule = oncePerTurn(() => flushes++);
    schedule();
    schedule();
    await Promise.resolve(); // a microtask later: still the same turn
    schedule();
    queueMicrotask(schedule);
    expect(flushes).toBe(0);
    await nextTurn();
    expect(flushes).toBe(1);
  });

  it('gathers the callbacks of several I/O events of one poll phase (what queueMicrotask would not)', async () => {
    // Timers that are due together run in one timers phase, each followed by its own microtasks: a microtask
    // flush runs once per callback, setImmediate once after all of them.
    const perTurn: number[] = [];
    const perMicrotask: number[] = [];
    let items = 0;
    let microItems = 0;
    let microScheduled = false;
    const schedule = oncePerTurn(() => {
      perTurn.push(items);
      items = 0;
    });
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 5; i++)
        setTimeout(() => {
          items++;
          schedule();
          microItems++;
          if (!microScheduled) {
            microScheduled = true;
            queueMicrotask(() => {
              microScheduled = false;
              perMicrotask.push(microItems);
              microItems = 0;
            });
          }
          if (i === 4) setImmediate(resolve);
        }, 1);
      const until = Date.now() + 5;
      while (Date.now() < until); // all five are due before the loop reaches its timers phase
    });
    expect(perTurn).toEqual([5]);
    expect(perMicrotask).toEqual([1, 1, 1, 1, 1]);
  });

  it('a schedule from inside flush arms the next turn, and turns without a schedule run nothing', async () => {
    const seen: string[] = [];
    let again = true;
    const schedule = oncePerTurn(() => {
      seen.push('flush');
      if (again) {
        again = false;
        schedule();
      }
    });
    schedule();
    await nextTurn();
    expect(seen).toEqual(['flush']);
    await nextTurn();
    expect(seen).toEqual(['flush', 'flush']);
    await nextTurn();
    await nextTurn();
    expect(seen).toEqual(['flush', 'flush']);
  });
});

describe('KeyedTurnBatch', () => {
  it('hands over every key of a turn once, with its waiters in arrival order, and each caller gets its answer', async () => {
    const batches: [string, number][][] = [];
    const batch = new KeyedTurnBatch<string, string>((b) => {
      batches.push([...b].map(([k, ws]) => [k, ws.length]));
      for (const [key, waiters] of b) waiters.forEach((w, i) => w.resolve(`${key}#${i + 1}`));
    });
    const answers = await Promise.all([batch.add('a'), batch.add('b'), batch.add('a'), batch.add('c'), batch.add('a')]);
    expect(answers).toEqual(['a#1', 'b#1', 'a#2', 'c#1', 'a#3']);
    expect(batches).toEqual([
      [
        ['a', 3],
        ['b', 1],
        ['c', 1],
      ],
    ]);
  });

  it('keys asked for in different turns go in different batches; a waiter may be settled later', async () => {
    const held: Waiter<number>[] = [];
    let flushes = 0;
    const batch = new KeyedTurnBatch<string, number>((b) => {
      flushes++;
      for (const waiters of b.values()) held.push(...waiters);
    });
    const first = batch.add('k');
    await nextTurn();
    const second = batch.add('k');
    await nextTurn();
    expect(flushes).toBe(2);
    held.forEach((w, i) => w.resolve(i));
    expect(await Promise.all([first, second])).toEqual([0, 1]);
  });

  it('a flush that throws fails its callers instead of leaving them waiting; the next turn works', async () => {
    let broken = true;
    const batch = new KeyedTurnBatch<string, string>((b) => {
      for (const [key, waiters] of b) {
        waiters[0]!.resolve(key); // settled before the throw: keeps its answer
        if (broken) throw new Error('flush bug');
        for (const w of waiters.slice(1)) w.resolve(key);
      }
    });
    const results = await Promise.allSettled([batch.add('x'), batch.add('x')]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'x' },
      { status: 'rejected', reason: new Error('flush bug') },
    ]);
    broken = false;
    expect(await Promise.all([batch.add('y'), batch.add('y')])).toEqual(['y', 'y']);
  });
});
