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
});
