/** Low-level building blocks for services with their own topology (e.g. webhook-delivery's retry ladder). */
import { context } from '@opentelemetry/api';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { ack, nack } from './consumer.js';
import type { BrokerCore } from './core.js';
import { errorMessage } from './errors.js';
import { waitForBroker } from './events.js';
import { deadLetter } from './retry.js';
import { declareDeadLetterQueue } from './topology.js';
import {
  consumerAttributes,
  failSpan,
  processSpanName,
  producerAttributes,
  publishSpanName,
  startProducerSpan,
  withConsumerSpan,
} from './tracing.js';
import type { RawOutcome } from './types.js';
import { countHandlerError } from './metrics.js';

/**
 * Confirmed, persistent (unless `options.persistent === false`) publish. `exchange` is namespaced; the default
 * exchange `''` stays as is and its routing key, a queue name, is namespaced instead.
 */
export async function publishRaw(
  core: BrokerCore,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: Options.Publish = {},
): Promise<void> {
  const target = exchange === '' ? '' : core.name(exchange);
  const key = exchange === '' ? core.name(routingKey) : routingKey;
  await waitForBroker(core);
  const headers: Record<string, unknown> = { ...options.headers };
  const { span, ctx } = startProducerSpan(publishSpanName(target, key), headers, producerAttributes(target, key));
  try {
    await context.with(ctx, () =>
      core.publisher.publish(
        target,
        key,
        body,
        { persistent: true, appId: core.service, ...options, headers },
        core.publishWaitMs,
      ),
    );
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Consume a (namespaced) queue declared in a setup. The handler decides: 'ack', 'requeue' (nack + requeue;
 * quorum queues dead-letter after their delivery limit) or `{deadLetter: reason}` (copy to
 * `dead-letters:<service>` with the reason, then ack). A handler that throws is dead-lettered with the error.
 */
export async function consumeRaw(
  core: BrokerCore,
  queue: string,
  onMessage: (msg: ConsumeMessage) => Promise<RawOutcome>,
  options: { prefetch?: number } = {},
): Promise<void> {
  const name = core.name(queue);
  await core.consumers.start({
    label: `raw:${queue}`,
    prefetch: options.prefetch ?? core.prefetch,
    declare: async (ch: ConfirmChannel) => {
      await declareDeadLetterQueue(ch, core.name, core.service);
      await ch.checkQueue(name);
      return name;
    },
    onMessage: async (ch, msg) => {
      let outcome: RawOutcome;
      try {
        outcome = await withConsumerSpan(
          processSpanName(name),
          msg.properties.headers,
          consumerAttributes(name, msg.fields.routingKey),
          () => onMessage(msg),
        );
      } catch (err) {
        countHandlerError(name);
        outcome = { deadLetter: errorMessage(err) };
      }
      if (outcome === 'ack') ack(ch, msg);
      else if (outcome === 'requeue') nack(ch, msg, true);
      else await deadLetter(core, ch, msg, name, outcome.deadLetter);
    },
  });
}
