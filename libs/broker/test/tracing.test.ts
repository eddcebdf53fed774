/** W3C trace context crosses RabbitMQ: publish → consume and request → serve are one trace. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { connectBroker, handle, on, type Broker } from '../src/index.js';
import { Echo, ItemCreated, waitFor } from './support.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

let env: TestEnv;
let server: Broker;
let client: Broker;
const logger = createLogger('test', 'fatal');
let traceIdInHandler: string | undefined;

beforeAll(async () => {
  env = await createTestEnv('broker-tracing', { database: false });
  server = await connectBroker({ url: env.rabbitmqUrl, service: 'token', namespace: env.namespace, logger });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  await server.serve([
    handle(Echo, async (req) => {
      traceIdInHandler = trace.getActiveSpan()?.spanContext().traceId;
      return { echoed: req.text, at: 0 };
    }),
  ]);
  await server.subscribe('traced', [on(ItemCreated, async () => undefined)]);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await env?.cleanup();
  await provider.shutdown();
});

const tracer = trace.getTracer('test');

describe('trace context over AMQP', () => {
  it('the consumer span of an event is a child of its producer span', async () => {
    exporter.reset();
    await client.publish(ItemCreated, { itemId: 't1', n: 1 });
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER));
    const producer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)!;
    const consumer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(producer.name).toMatch(/^publish \S*wahooks\.events/);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'publish',
      'messaging.rabbitmq.destination.routing_key': 'token.item.created',
    });
    expect(consumer.name).toMatch(/^process .*traced/);
    expect(consumer.attributes).toMatchObject({ 'messaging.operation.type': 'process' });
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
  });

  it('an RPC keeps the caller trace id: HTTP span → request → server span → handler', async () => {
    exporter.reset();
    const http = tracer.startSpan('GET /api/tokens', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(context.active(), http), () => client.request(Echo, { text: 'traced' }));
    http.end();
    const spans = exporter.getFinishedSpans();
    const echo = (s: (typeof spans)[number]) =>
      s.attributes['messaging.rabbitmq.destination.routing_key'] === 'token.test.echo';
    const request = spans.find((s) => s.kind === SpanKind.PRODUCER && echo(s))!;
    const serve = spans.find((s) => s.kind === SpanKind.CONSUMER && echo(s))!;
    expect(request.name).toMatch(/^publish /);
    expect(serve.name).toMatch(/^process /);
    const traceId = http.spanContext().traceId;
    expect(request.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(serve.spanContext().traceId).toBe(traceId);
    expect(serve.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(traceIdInHandler).toBe(traceId);
  });
});
