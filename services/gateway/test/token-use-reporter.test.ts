/** The batching and failure handling of TokenUseReporter; publishing to RabbitMQ is covered by gateway.test.ts. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import { TokenUseReporter } from '../src/auth/token-use-reporter.js';

type Published = { tokenIds: string[]; at: string };

const recorder = (outcome: () => Promise<string> = async () => 'id') => {
  const published: Published[] = [];
  const events = {
    publish: (_event: unknown, payload: Published) => {
      published.push(payload);
      return outcome();
    },
  } as unknown as Pick<Broker, 'publish'>;
  return { events, published };
};

describe('TokenUseReporter', () => {
  it('one report per flush, each token once, `at` = the newest use; nothing marked, nothing sent', () => {
    const { events, published } = recorder();
    const reporter = new TokenUseReporter(events, 60_000);
    reporter.mark('a', 1000);
    reporter.mark('b', 3000);
    reporter.mark('a', 2000);
    reporter.flush();
    expect(published).toEqual([{ tokenIds: ['a', 'b'], at: new Date(3000).toISOString() }]);
    reporter.flush();
    expect(published).toHaveLength(1);
  });

  it('splits a batch over 1000 tokens into several events', () => {
    const { events, published } = recorder();
    const reporter = new TokenUseReporter(events, 60_000);
    const ids = Array.from({ length: 2500 }, () => randomUUID());
    for (const id of ids) reporter.mark(id, 5000);
    reporter.flush();
    expect(published.map((p) => p.tokenIds.length)).toEqual([1000, 1000, 500]);
    expect(published.flatMap((p) => p.tokenIds)).toEqual(ids);
  });

  it('a failed publish is logged and dropped, never thrown', async () => {
    const { events, published } = recorder(() => Promise.reject(new Error('message broker is unavailable')));
    const warn = jest.fn();
    const reporter = new TokenUseReporter(events, 60_000, { warn } as unknown as Logger);
    reporter.mark('a');
    expect(() => reporter.flush()).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(warn).toHaveBeenCalledWith(
      { err: 'message broker is unavailable', tokens: 1 },
      expect.stringContaining('not published'),
    );
    reporter.flush();
    expect(published).toHaveLength(1); // dropped, not retried
  });

  it('reports on its timer, and stop() sends the rest without waiting past its bound', async () => {
    const { events, published } = recorder(() => new Promise<string>(() => undefined)); // a publish that hangs
    const reporter = new TokenUseReporter(events, 20);
    reporter.start();
    reporter.mark('a');
    await new Promise((r) => setTimeout(r, 100));
    expect(published.map((p) => p.tokenIds)).toEqual([['a']]);
    reporter.mark('b');
    const started = Date.now();
    await reporter.stop(200);
    expect(Date.now() - started).toBeLessThan(5000); // the publish never settles: only stop()'s 200 ms bound ends it
    expect(published.map((p) => p.tokenIds)).toEqual([['a'], ['b']]);
  });
});
