/**
 * In-memory tracing for tests: a NodeTracerProvider with an InMemorySpanExporter behind a SimpleSpanProcessor
 * (spans are available as soon as they end), the AsyncLocalStorage context manager and the W3C propagator.
 * Call once per test file (beforeAll) and shut it down in afterAll; calling it again replaces the previous one.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';

export interface TestTracing {
  exporter: InMemorySpanExporter;
  /** Finished spans so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Forgets the finished spans. */
  reset(): void;
  shutdown(): Promise<void>;
}

const unregister = () => {
  trace.disable();
  context.disable();
  propagation.disable();
};

export function createTestTracing(): TestTracing {
  unregister(); // the API refuses a second registration; a previous provider in this realm is dropped
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register(); // defaults: AsyncLocalStorageContextManager, W3C trace context + baggage propagators
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async shutdown() {
      await provider.shutdown();
      unregister();
    },
  };
}
