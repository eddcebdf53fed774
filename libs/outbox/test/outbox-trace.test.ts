/**
 * Trace context through the outbox (a table with a trace column): the relay's publish span continues the trace
 * of the span that wrote the row, although it runs later, from the relay's own loop; an entry may carry its own
 * traceparent (a group commit of several traces); an untraced write stores NULL and its publish starts a trace.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { SpanKind } from '@opentelemetry/api';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { defineEvent } from '@wahooks/contracts';
import { closeDatabase, openDatabase, sqlOf, type DataSource, type Sql } from '@wahooks/db';
import {
  createLogger,
  createTestTracing,
  getTracer,
  spanTraceParent,
  withSpan,
  type TestTracing,
} from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import {
  outboxEntry,
  outboxMigration,
  outboxTable,
  outboxTraceMigration,
  startOutboxRelay,
  writeOutbox,
} from '../src/index.js';

const Traced = defineEvent({
  type: 'token.outbox-test.traced',
  version: 1,
  payload: z.object({ n: z.number().int() }),
  summary: 'test: a traced outbox row',
});

const logger = createLogger('test', 'silent');
const table = outboxTable({ traceColumn: 'trace_parent' });
let tracing: TestTracing;
let env: TestEnv;
let db: DataSource;
let sql: Sql;
let producer: Broker;
let consumer: Broker;
const received: number[] = [];

beforeAll(async () => {
  tracing = createTestTracing();
  env = await createTestEnv('outbox_trace');
  db = await openDatabase({
    url: env.databaseUrl,
    schema: 'outbox_trace',
    migrations: [outboxMigration(1764270000000), outboxTraceMigration(1764270000001)],
  });
  sql = sqlOf(db);
  producer = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
  consumer = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  await consumer.subscribe('outbox-trace', [on(Traced, async (p) => void received.push(p.n))]);
});

afterAll(async () => {
  await producer?.close();
  await consumer?.close();
  if (db) await closeDatabase(db);
  await env?.cleanup();
  await tracing?.shutdown();
});

const publishOf = (n: number) =>
  tracing
    .spans()
    .find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === `evt-trace-${n}`);

describe('outbox rows carry the trace context of their writer', () => {
  it('the publish span is a child of the writing span; an own traceparent wins; untraced rows start a trace', async () => {
    const tracer = getTracer('outbox-test'); // after createTestTracing (a tracer taken before it stays a no-op)
    const other = tracer.startSpan('another trace');
    const otherParent = spanTraceParent(other)!;
    other.end();
    const writer = await withSpan(tracer, 'write rows', async (span) => {
      await sql.transaction((tx) =>
        writeOutbox(
          tx,
          [
            outboxEntry(Traced, { n: 1 }, { id: 'evt-trace-1' }),
            outboxEntry(Traced, { n: 2 }, { id: 'evt-trace-2', traceParent: otherParent }),
          ],
          table,
        ),
      );
      return span;
    });
    await sql.transaction((tx) => writeOutbox(tx, [outboxEntry(Traced, { n: 3 }, { id: 'evt-trace-3' })], table));
    const stored = await sql.query<{ event_id: string; trace_parent: string | null }>(
      'SELECT event_id, trace_parent FROM outbox ORDER BY seq',
    );
    expect(stored.map((r) => r.trace_parent === null)).toEqual([false, false, true]);

    const relay = startOutboxRelay({ sql, broker: producer, logger, events: [Traced], table, idleMs: 50 });
    try {
      await relay.drained();
      const end = Date.now() + 10_000;
      while (received.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(received.sort()).toEqual([1, 2, 3]);
    } finally {
      await relay.stop();
    }
    const [p1, p2, p3] = [publishOf(1)!, publishOf(2)!, publishOf(3)!];
    expect(p1.spanContext().traceId).toBe(writer.spanContext().traceId);
    expect(p1.parentSpanContext?.spanId).toBe(writer.spanContext().spanId);
    expect(p2.spanContext().traceId).toBe(other.spanContext().traceId);
    expect(p2.parentSpanContext?.spanId).toBe(other.spanContext().spanId);
    expect(p3.parentSpanContext).toBeUndefined();
    expect([other, writer].map((s) => s.spanContext().traceId)).not.toContain(p3.spanContext().traceId);
  });
});
