/**
 * The span of one Baileys batch that yields events (a message received, a status change, …): a CONSUMER span
 * `receive whatsapp`, the root of the inbound trace. Its traceparent goes into every outbox row of the batch, so
 * the relay's publish (later, from another loop) continues this trace; it ends once the batch is durable.
 * Only ids and counts as attributes: never message content or numbers. A no-op when tracing is off.
 */
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import { failSpan, getTracer, SpanKind, spanTraceParent } from '@wahooks/telemetry';
import type { SessionBatch } from './session-store.js';

// Looked up per use: a tracer taken at import time stays a no-op when a test registers its provider later.
const tracer = () => getTracer('connection');

/**
 * Stamps the batch's outbox entries with a new span's traceparent, then `write`s it (the group writer's enqueue);
 * the span ends when the write settles. Returns the write.
 */
export function traceBatch(
  connectionId: string,
  events: Partial<BaileysEventMap>,
  batch: SessionBatch,
  write: (batch: SessionBatch) => Promise<void>,
): Promise<void> {
  if (batch.outbox.length === 0) return write(batch); // creds, presence, …: nothing leaves the service, no trace
  // Always a root: Baileys may flush a batch from inside an API send's context, and a batch is its own trace.
  const span = tracer().startSpan('receive whatsapp', {
    root: true,
    kind: SpanKind.CONSUMER,
    attributes: {
      'wahooks.connection.id': connectionId,
      'wahooks.baileys.events': Object.keys(events).join(','),
      'wahooks.events.count': batch.outbox.length,
    },
  });
  const traceParent = spanTraceParent(span);
  if (traceParent) for (const entry of batch.outbox) entry.traceParent ??= traceParent;
  const written = write(batch);
  written.then(
    () => span.end(),
    (err: unknown) => {
      failSpan(span, err);
      span.end();
    },
  );
  return written;
}
