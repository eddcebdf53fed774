import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { AppError, defineCommand, unavailable } from '@wahooks/contracts';
import { handle, mapCommandErrors, type MessageContext } from '@wahooks/broker';

const Echo = defineCommand({
  name: 'test.echo.run',
  version: 1,
  request: z.object({ fail: z.string().optional() }),
  reply: z.object({ ok: z.boolean() }),
  summary: 'echo',
});
const ctx = {} as MessageContext;

describe('mapCommandErrors', () => {
  const [binding] = mapCommandErrors(
    [
      handle(Echo, async ({ fail }) => {
        if (fail === 'outage') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        if (fail === 'bug') throw new TypeError('bug');
        return { ok: true };
      }),
    ],
    (err) => ((err as { code?: string }).code === 'ECONNREFUSED' ? unavailable('store unavailable') : err),
  );

  it('passes replies through and rewrites only what the map chooses', async () => {
    expect(binding!.command).toBe(Echo);
    await expect(binding!.handler({}, ctx)).resolves.toEqual({ ok: true });
    const outage = await binding!.handler({ fail: 'outage' }, ctx).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(AppError);
    expect(outage).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '5' } });
    await expect(binding!.handler({ fail: 'bug' }, ctx)).rejects.toThrow(TypeError);
  });
});
