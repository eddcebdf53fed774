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
      expect(decodeTask(body)).toEqual({ deliveryId: '00000000-0000-4000-8000-000000000001', attempt: 1 });
      expect(JSON.parse(body.toString())).toEqual({
        version: 2,
        deliveryIds: ['00000000-0000-4000-8000-000000000001'],
        attempt: 1,
      });
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
      expect(decodeTasks(publishRaw.mock.calls[0]![2])).toEqual(ids.map((deliveryId) => ({ deliveryId, attempt: 1 })));
    } finally {
      handler.close();
    }
  });

  it('decodes batched tasks and refuses malformed ones', () => {
    expect(decodeTasks(encodeTasks(['x', 'y'], 3))).toEqual([
      { deliveryId: 'x', attempt: 3 },
      { deliveryId: 'y', attempt: 3 },
    ]);
    expect(decodeTask(encodeTasks(['x'], 1))).toEqual({ deliveryId: 'x', attempt: 1 });
    for (const bad of [
      '{"ds":[],"a":1}',
      '{"ds":[1],"a":1}',
      '{"ds":["x"],"a":0}',
      '{"d":"x"}',
      'nope',
      '{"version":2,"deliveryIds":[],"attempt":1}',
      '{"version":2,"deliveryIds":["x"],"attempt":0}',
      '{"version":2,"deliveryId":"x","attempt":1}',
      '{"version":3,"deliveryIds":["x"],"attempt":1}', // a newer deployment's task: refused, not misread
    ]) {
      expect(decodeTasks(Buffer.from(bad))).toBeNull();
    }
    expect(() => encodeTasks([], 1)).toThrow();
  });

  it('still reads the version 1 tasks an older deployment left on the queues', () => {
    expect(decodeTasks(Buffer.from('{"d":"x","a":2}'))).toEqual([{ deliveryId: 'x', attempt: 2 }]);
    expect(decodeTasks(Buffer.from('{"ds":["x","y"],"a":1}'))).toEqual([
      { deliveryId: 'x', attempt: 1 },
      { deliveryId: 'y', attempt: 1 },
    ]);
  });
});
