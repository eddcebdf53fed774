/** Dispatch decision only (no broker/Postgres behaviour is simulated): which dependency the fan-out touches. */
import { describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '@wahooks/telemetry';
import { configFromEnv } from '../src/config.js';
import { handleAttemptDelivery } from '../src/handlers/attempt-delivery.js';
import type { Deps } from '../src/handlers/deps.js';
import { decodeTask, decodeTasks, encodeTasks } from '../src/topology.js';

describe('first attempt from the fan-out', () => {
  it('with inline first attempts off (default), publishes the task without loading the delivery', async () => {
    const loadForAttempt = jest.fn(async (ids: string[]) => ids.map(() => null));
    const publishRaw = jest.fn(async (_exchange: string, _key: string, _body: Buffer) => undefined);
    const config = configFromEnv({});
    expect(config.inlineFirstAttempt).toBe(false);
    const handler = handleAttemptDelivery({
      config,
      logger: createLogger('wd-first-attempt-test', 'silent'),
      broker: { publishRaw } as unknown as Deps['broker'],
      deliveries: { loadForAttempt, recordOutcomes: jest.fn() } as unknown as Deps['deliveries'],
      policy: { schedule: config.retrySchedule, jitter: 0 },
    } as unknown as Deps);
    try {
      await handler.firstAttempt('00000000-0000-4000-8000-000000000001');
      expect(loadForAttempt).not.toHaveBeenCalled();
      expect(publishRaw).toHaveBeenCalledTimes(1);
      const [exchange, key, body] = publishRaw.mock.calls[0]!;
      expect([exchange, key]).toEqual(['', 'webhook-delivery:deliveries:attempt']);
      expect(decodeTask(body)).toEqual({ d: '00000000-0000-4000-8000-000000000001', a: 1 });
    } finally {
      handler.close();
    }
  });

  it('coalesces the first attempts of one fan-out batch into one work-queue message', async () => {
    const publishRaw = jest.fn(async (_exchange: string, _key: string, _body: Buffer) => undefined);
    const config = configFromEnv({});
    const handler = handleAttemptDelivery({
      config,
      logger: createLogger('wd-first-attempt-test', 'silent'),
      broker: { publishRaw } as unknown as Deps['broker'],
      deliveries: { loadForAttempt: jest.fn(), recordOutcomes: jest.fn() } as unknown as Deps['deliveries'],
      policy: { schedule: config.retrySchedule, jitter: 0 },
    } as unknown as Deps);
    try {
      const ids = ['a', 'b', 'c'].map((x) => `00000000-0000-4000-8000-00000000000${x}`);
      await Promise.all(ids.map((id) => handler.firstAttempt(id)));
      expect(publishRaw).toHaveBeenCalledTimes(1);
      expect(decodeTasks(publishRaw.mock.calls[0]![2])).toEqual(ids.map((d) => ({ d, a: 1 })));
    } finally {
      handler.close();
    }
  });

  it('decodes batched tasks and refuses malformed ones', () => {
    expect(decodeTasks(encodeTasks(['x', 'y'], 3))).toEqual([
      { d: 'x', a: 3 },
      { d: 'y', a: 3 },
    ]);
    expect(decodeTask(encodeTasks(['x'], 1))).toEqual({ d: 'x', a: 1 });
    for (const bad of ['{"ds":[],"a":1}', '{"ds":[1],"a":1}', '{"ds":["x"],"a":0}', '{"d":"x"}', 'nope']) {
      expect(decodeTasks(Buffer.from(bad))).toBeNull();
    }
  });
});
