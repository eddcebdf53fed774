/**
 * Retry and dead-letter policy for consumed messages (Rascal's republish/forward chains):
 * - retry: after a short backoff, publish a copy to the same queue with `x-wahooks-attempt` + 1, then ack the
 *   original, so a failing message never sits at the queue head and other messages keep flowing;
 * - dead-letter: publish a copy to the dead-letter exchange (routing key = service) with the reason and origin
 *   in headers, then ack the original. Both publishes are confirmed before the ack (at-least-once).
 */
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { Exchanges } from '@wahooks/contracts';
import { ack, nack } from './consumer.js';
import type { BrokerCore } from './core.js';
import { Headers, headerNumber } from './headers.js';
import { confirmPublish } from './publisher.js';

const MAX_REASON = 1000; // chars; headers share a 64 KiB frame table with everything else

/** 1 on the first delivery, +1 per retry copy. */
export const attemptOf = (msg: ConsumeMessage): number => headerNumber(msg.properties.headers, Headers.attempt) ?? 1;

/** Backoff before retry copy `attempt + 1`, ms: base * 2^(attempt-1), capped at 5 s. */
export const retryDelayMs = (attempt: number, baseMs: number): number => Math.min(baseMs * 2 ** (attempt - 1), 5000);

function copyProperties(msg: ConsumeMessage, headers: Record<string, unknown>): Options.Publish {
  const p = msg.properties;
  return {
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    correlationId: p.correlationId,
    messageId: p.messageId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
    priority: p.priority,
    headers,
    persistent: true,
  };
}

export async function deadLetter(
  core: BrokerCore,
  ch: ConfirmChannel,
  msg: ConsumeMessage,
  queue: string,
  reason: string,
): Promise<void> {
  const headers = {
    ...msg.properties.headers,
    [Headers.deathReason]: reason.slice(0, MAX_REASON),
    [Headers.originalQueue]: queue,
    [Headers.originalExchange]: msg.fields.exchange,
    [Headers.originalRoutingKey]: msg.fields.routingKey,
    [Headers.deadAt]: new Date().toISOString(),
  };
  try {
    await confirmPublish(ch, core.name(Exchanges.deadLetters), core.service, msg.content, copyProperties(msg, headers));
  } catch (err) {
    core.logger.error({ queue, err: (err as Error).message }, 'dead-lettering failed; requeueing');
    nack(ch, msg, true);
    return;
  }
  core.logger.warn(
    { queue, messageId: msg.properties.messageId, type: msg.properties.type, reason },
    'message dead-lettered',
  );
  ack(ch, msg);
}

export async function retryLater(
  core: BrokerCore,
  ch: ConfirmChannel,
  msg: ConsumeMessage,
  queue: string,
  delayMs: number,
): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const headers = { ...msg.properties.headers, [Headers.attempt]: attemptOf(msg) + 1 };
  try {
    await confirmPublish(ch, '', queue, msg.content, copyProperties(msg, headers));
  } catch (err) {
    core.logger.error({ queue, err: (err as Error).message }, 'retry copy failed; requeueing');
    nack(ch, msg, true);
    return;
  }
  ack(ch, msg);
}
