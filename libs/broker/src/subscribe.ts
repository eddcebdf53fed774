/**
 * Event consumers: one durable quorum queue per (service, purpose), or a per-instance exclusive queue.
 * Envelope and payload are validated on receipt; what fails validation, or has a type nobody here handles,
 * goes straight to `dead-letters:<service>` with the reason. A handler that throws is retried with a copy
 * (see retry.ts) up to `maxAttempts`, then dead-lettered with the error message; PermanentError skips retries.
 */
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { z } from 'zod';
import { Exchanges, Queues } from '@wahooks/contracts';
import { ack } from './consumer.js';
import type { BrokerCore } from './core.js';
import { errorMessage, PermanentError } from './errors.js';
import { attemptOf, deadLetter, retryDelayMs, retryLater } from './retry.js';
import { messageContext } from './command-dispatch.js';
import { declareDeadLetterQueue, eventQueueOptions, exclusiveQueueOptions } from './topology.js';
import { consumerAttributes, processSpanName, withConsumerSpan } from './tracing.js';
import type { EventBinding, SubscribeOptions } from './types.js';
import { issueMessages } from './validation.js';
import { countHandlerError } from './metrics.js';

const Envelope = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  version: z.number().int(),
  occurredAt: z.string(),
  payload: z.unknown(),
});

export async function subscribe(
  core: BrokerCore,
  purpose: string,
  handlers: EventBinding[],
  options: SubscribeOptions = {},
): Promise<void> {
  const bindings = new Map(handlers.map((b) => [b.event.type, b]));
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.retryBackoffMs ?? 200;

  const declare = async (ch: ConfirmChannel): Promise<string> => {
    await declareDeadLetterQueue(ch, core.name, core.service);
    const queue = options.exclusive
      ? (await ch.assertQueue('', exclusiveQueueOptions())).queue
      : (
          await ch.assertQueue(
            core.name(Queues.events(core.service, purpose)),
            eventQueueOptions(core.name, core.service),
          )
        ).queue;
    for (const type of bindings.keys()) await ch.bindQueue(queue, core.name(Exchanges.events), type);
    return queue;
  };

  const onMessage = async (ch: ConfirmChannel, msg: ConsumeMessage, queue: string): Promise<void> => {
    let raw: unknown;
    try {
      raw = JSON.parse(msg.content.toString('utf8'));
    } catch {
      return deadLetter(core, ch, msg, queue, 'message body is not valid JSON');
    }
    const envelope = Envelope.safeParse(raw);
    if (!envelope.success)
      return deadLetter(core, ch, msg, queue, `invalid envelope: ${issueMessages(envelope.error).join('; ')}`);
    const { type, version } = envelope.data;
    const binding = bindings.get(type);
    if (!binding) return deadLetter(core, ch, msg, queue, `unknown event type ${type}`);
    if (version !== binding.event.version)
      return deadLetter(core, ch, msg, queue, `unsupported version ${version} of ${type}`);
    const payload = binding.event.payload.safeParse(envelope.data.payload);
    if (!payload.success)
      return deadLetter(core, ch, msg, queue, `invalid payload: ${issueMessages(payload.error).join('; ')}`);

    const attempt = attemptOf(msg);
    const attributes = consumerAttributes(queue, msg.fields.routingKey, {
      'messaging.message.id': envelope.data.id,
      'wahooks.attempt': attempt,
    });
    try {
      await withConsumerSpan(processSpanName(queue), msg.properties.headers, attributes, () =>
        binding.handler(payload.data, { ...envelope.data, payload: payload.data }, messageContext(msg)),
      );
    } catch (err) {
      countHandlerError(queue);
      const reason = errorMessage(err);
      if (err instanceof PermanentError || attempt >= maxAttempts) {
        return deadLetter(core, ch, msg, queue, reason); // x-wahooks-attempt tells how many tries it had
      }
      core.logger.warn({ queue, type, id: envelope.data.id, attempt, err: reason }, 'event handler failed; retrying');
      return retryLater(core, ch, msg, queue, retryDelayMs(attempt, backoffMs));
    }
    ack(ch, msg);
  };

  await core.consumers.start({
    label: `events:${purpose}`,
    prefetch: options.prefetch ?? core.prefetch,
    declare,
    onMessage,
  });
}
