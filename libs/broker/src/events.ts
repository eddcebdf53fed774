/** Event publishing: validate, wrap in the envelope, publish persistent and confirmed on the events exchange. */
import { context } from '@opentelemetry/api';
import { AppError, Exchanges, newEventId, type AnyEvent, type PayloadOf } from '@wahooks/contracts';
import type { BrokerCore } from './core.js';
import { failSpan, producerAttributes, publishSpanName, startProducerSpan } from './tracing.js';
import type { EventEnvelope } from './types.js';
import { issueMessages } from './validation.js';

export async function publishEvent<E extends AnyEvent>(
  core: BrokerCore,
  event: E,
  payload: PayloadOf<E>,
  options: { id?: string; headers?: Record<string, unknown> } = {},
): Promise<string> {
  const checked = event.payload.safeParse(payload);
  if (!checked.success) {
    // A producer bug: fail here, loudly, rather than dead-letter in every consumer.
    throw new Error(`${event.type} payload fails its schema: ${issueMessages(checked.error).join('; ')}`);
  }
  const envelope: EventEnvelope = {
    id: options.id ?? newEventId(),
    type: event.type,
    version: event.version,
    occurredAt: new Date().toISOString(),
    payload,
  };
  const exchange = core.name(Exchanges.events);
  await waitForBroker(core);
  const headers: Record<string, unknown> = { ...options.headers };
  const { span, ctx } = startProducerSpan(
    publishSpanName(exchange, event.type),
    headers,
    producerAttributes(exchange, event.type, { 'messaging.message.id': envelope.id }),
  );
  try {
    await context.with(ctx, () =>
      core.publisher.publish(
        exchange,
        event.type,
        Buffer.from(JSON.stringify(envelope)),
        {
          messageId: envelope.id,
          type: event.type,
          persistent: true,
          contentType: 'application/json',
          appId: core.service,
          timestamp: Math.floor(Date.now() / 1000),
          headers,
        },
        core.publishWaitMs,
      ),
    );
    return envelope.id;
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Publishes ride out a short reconnect (up to `publishWaitMs`), then fail with 503. */
export async function waitForBroker(core: BrokerCore): Promise<void> {
  if (core.connection.isConnected()) return;
  try {
    await core.connection.waitConnected(core.publishWaitMs);
  } catch {
    throw new AppError(503, 'message broker is unavailable', { 'Retry-After': '5' });
  }
}
