import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@wahooks/telemetry';
import { createGroupWriter } from '../src/sessions/group-writer.js';
import type { SessionBatch } from '../src/sessions/session-store.js';

const logger = createLogger('test', 'silent');
const batch = (n: number): SessionBatch => ({
  outbox: [{ envelope: { id: `e${n}` } as never }],
  messages: [],
  chats: [],
});
const ids = (b: SessionBatch) => b.outbox.map((o) => o.envelope.id);

describe('group writer', () => {
  it('writes batches queued during a write together, in order', async () => {
    const writes: string[][] = [];
    let release!: () => void;
    let first = true;
    const w = createGroupWriter(async (b) => {
      writes.push(ids(b));
      if (first) {
        first = false;
        await new Promise<void>((r) => (release = r));
      }
    }, logger);
    const done = [w.enqueue(batch(1)), w.enqueue(batch(2)), w.enqueue(batch(3))];
    await new Promise((r) => setTimeout(r, 10));
    release();
    await Promise.all(done);
    expect(writes).toEqual([['e1'], ['e2', 'e3']]);
  });

  it('retries a failed write, then gives up and rejects', async () => {
    let calls = 0;
    const w = createGroupWriter(
      async () => {
        calls++;
        if (calls < 3) throw new Error('db down');
      },
      logger,
      { attempts: 5, baseDelayMs: 1 },
    );
    await w.enqueue(batch(1));
    expect(calls).toBe(3);
    const failing = createGroupWriter(
      async () => {
        throw new Error('still down');
      },
      logger,
      { attempts: 2, baseDelayMs: 1 },
    );
    await expect(failing.enqueue(batch(1))).rejects.toThrow('still down');
    await failing.idle();
  });

  it('waits out a database outage however many tries it takes, and never drops the batch', async () => {
    const terminated = () =>
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    let calls = 0;
    const written: string[][] = [];
    const w = createGroupWriter(
      async (b) => {
        calls++;
        if (calls <= 12) throw calls % 2 ? terminated() : new Error('Connection terminated unexpectedly');
        written.push(ids(b));
      },
      logger,
      { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    );
    await Promise.all([w.enqueue(batch(1)), w.enqueue(batch(2))]);
    expect(calls).toBe(14); // 12 failures, then each batch once: far past `attempts`, an outage is not a bug
    expect(written.flat()).toEqual(['e1', 'e2']);
  });

  it('gives up an outage only once cancelled (the session closed a while ago)', async () => {
    let cancelled = false;
    const w = createGroupWriter(
      async () => {
        cancelled = true;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      logger,
      { baseDelayMs: 1, cancelled: () => cancelled },
    );
    await expect(w.enqueue(batch(1))).rejects.toThrow('ECONNREFUSED');
  });

  it('a batch Postgres refuses is given up alone: the others of its group are written', async () => {
    const written: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w = createGroupWriter(
      async (b) => {
        if (ids(b).includes('e0')) await gate; // batches 1-3 queue meanwhile and become one group
        if (ids(b).includes('e2')) throw Object.assign(new Error('invalid byte sequence'), { code: '22021' });
        written.push(ids(b));
      },
      logger,
      { attempts: 1, baseDelayMs: 1 },
    );
    const all = Promise.allSettled([0, 1, 2, 3].map((n) => w.enqueue(batch(n))));
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect((await all).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([['e0'], ['e1'], ['e3']]);
  });
});
