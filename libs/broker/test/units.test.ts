/** Pure pieces: 400 messages from zod issues, retry backoff (event ids: libs/contracts/test/event-id.test.ts). */
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { issueMessages, validationError } from '../src/index.js';
import { retryDelayMs } from '../src/retry.js';

describe('validation messages', () => {
  const schema = z.object({ name: z.string({ error: 'name is required' }), limit: z.number().int().max(100) });

  it('keeps a custom message that names its field, prefixes the others with their path', () => {
    const r = schema.safeParse({ limit: 1000 });
    expect(r.success).toBe(false);
    const messages = issueMessages(r.error!);
    expect(messages).toContain('name is required');
    expect(messages.find((m) => m.startsWith('limit: '))).toBeDefined();
  });

  it('is one string for one issue, an array for several', () => {
    expect(validationError(schema.safeParse({ name: 'x', limit: 1.5 }).error!).body.message).toEqual(
      expect.any(String),
    );
    expect(validationError(schema.safeParse({}).error!).body.message).toEqual(expect.any(Array));
    expect(validationError(schema.safeParse({}).error!).statusCode).toBe(400);
  });
});

describe('retry backoff', () => {
  it('doubles per attempt and is capped at 5 s', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 200))).toEqual([200, 400, 800, 1600]);
    expect(retryDelayMs(20, 200)).toBe(5000);
  });
});
