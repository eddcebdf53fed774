import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createLogger,
  createTestTracing,
  getTracer,
  resolveLogLevel,
  withSpan,
  type TestTracing,
} from '@wahooks/telemetry';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = createTestTracing();
  });
  afterAll(async () => {
    await tracing.shutdown();
  });

  it('stamps the active span trace and span ids on lines written inside it, and on child loggers', async () => {
    const { lines, destination } = capture();
    const log = createLogger('svc-a', 'info', { destination });
    log.info('outside');
    let traceId = '';
    let spanId = '';
    await withSpan(getTracer('test'), 'work', async (span) => {
      ({ traceId, spanId } = span.spanContext());
      log.info('inside');
      log.child({ component: 'broker' }).warn({ queue: 'q' }, 'child inside');
    });
    expect(lines).toHaveLength(3);
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({
      msg: 'inside',
      service: 'svc-a',
      level: 'info',
      trace_id: traceId,
      span_id: spanId,
    });
    expect(lines[2]).toMatchObject({ msg: 'child inside', component: 'broker', queue: 'q', trace_id: traceId });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('respects the level argument, then LOG_LEVEL, and falls back to info on nonsense', () => {
    const { lines, destination } = capture();
    const old = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = 'WARN';
      const log = createLogger('svc-b', undefined, { destination });
      log.info('dropped');
      log.warn('kept');
      expect(lines.map((l) => l.msg)).toEqual(['kept']);
      expect(createLogger('svc-b', 'debug', { destination }).level).toBe('debug');
      process.env.LOG_LEVEL = 'loud';
      expect(createLogger('svc-b', undefined, { destination }).level).toBe('info');
      expect(resolveLogLevel('silent')).toBe('silent');
    } finally {
      if (old === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = old;
    }
  });
});
