/**
 * Runs one RPC request: skip it past its deadline, parse, dispatch by command name (AMQP `type`), validate the
 * reply, answer `{ok:true,data}` or `{ok:false,error}` to the caller's reply-to address, then ack.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { AppError, type RpcReply } from '@wahooks/contracts';
import { ack, type HandlerSlot } from './consumer.js';
import type { BrokerCore } from './core.js';
import { Headers, headerNumber } from './headers.js';
import { attemptOf } from './retry.js';
import { consumerAttributes, failSpan, processSpanName, withConsumerSpan } from './tracing.js';
import { observeDispatch } from './metrics.js';
import { secondsSince } from '@wahooks/metrics';
import type { CommandBinding, MessageContext } from './types.js';
import { parseOr400 } from './validation.js';

const INTERNAL: RpcReply = {
  ok: false,
  error: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
};

export class CommandDispatcher {
  readonly bindings = new Map<string, CommandBinding>();

  /** `noAck`: the consumer settles nothing (a noAck consumer: acking would be a channel error). */
  constructor(
    private readonly core: BrokerCore,
    private readonly noAck = false,
  ) {}

  add(bindings: CommandBinding[]): void {
    for (const b of bindings) this.bindings.set(b.command.name, b);
  }

  /** `queue`: the queue it was taken from (span name and attributes); the exchange when not given. */
  async onMessage(ch: Channel, msg: ConsumeMessage, slot?: HandlerSlot, queue?: string): Promise<void> {
    const { core } = this;
    const { headers, replyTo, correlationId } = msg.properties;
    const deadline = headerNumber(headers, Headers.deadline);
    if (deadline !== undefined && deadline < Date.now()) {
      core.logger.debug({ command: msg.properties.type }, 'request past its deadline; skipped');
      if (!this.noAck) ack(ch, msg);
      return;
    }
    const name = (msg.properties.type as string | undefined) ?? msg.fields.routingKey;
    await withConsumerSpan(
      processSpanName(queue ?? msg.fields.exchange),
      headers,
      consumerAttributes(queue ?? msg.fields.exchange, msg.fields.routingKey, {
        'messaging.message.conversation_id': correlationId,
      }),
      async (span) => {
        const started = performance.now();
        let reply: RpcReply;
        let httpHeaders: Record<string, string> | undefined;
        try {
          reply = { ok: true, data: await this.run(name, msg, slot) };
        } catch (err) {
          if (isAppError(err)) {
            reply = { ok: false, error: err.body };
            httpHeaders = err.headers;
            if (err.statusCode >= 500) failSpan(span, err);
          } else {
            core.logger.error({ command: name, err }, 'command handler failed');
            failSpan(span, err);
            reply = INTERNAL;
          }
        }
        observeDispatch(this.bindings.has(name) ? name : 'unknown', reply, queue, secondsSince(started));
        if (replyTo) {
          try {
            // A plain channel (no confirm): a reply lost on the way is the caller's timeout, as documented.
            ch.publish('', replyTo, Buffer.from(JSON.stringify(reply)), {
              correlationId,
              contentType: 'application/json',
              headers: httpHeaders ? { [Headers.httpHeaders]: JSON.stringify(httpHeaders) } : undefined,
            });
          } catch (err) {
            core.logger.warn({ command: name, err: (err as Error).message }, 'reply not sent');
          }
        }
        if (!this.noAck) ack(ch, msg);
      },
    );
  }

  /** Parse, dispatch, check the reply against its schema. Returns the handler's (validated) value. */
  private async run(name: string, msg: ConsumeMessage, slot?: HandlerSlot): Promise<unknown> {
    const binding = this.bindings.get(name);
    if (!binding) throw new AppError(501, `${this.core.service} service does not handle ${name}`);
    let body: unknown;
    try {
      body = JSON.parse(msg.content.toString('utf8'));
    } catch {
      throw new AppError(400, 'request body is not valid JSON');
    }
    const request = parseOr400(binding.command.request, body);
    const data = await binding.handler(request, messageContext(msg, slot));
    const checked = binding.command.reply.safeParse(data);
    if (!checked.success) {
      this.core.logger.error({ command: name, issues: checked.error.issues }, 'handler reply fails its schema');
      throw new Error(`reply of ${name} fails its schema`);
    }
    return data; // as returned: the client parses the same input with the same schema
  }
}

export function messageContext(msg: ConsumeMessage, slot?: HandlerSlot): MessageContext {
  return {
    withoutSlot: slot ? (work) => slot.outside(work) : (work) => work(),
    messageId: (msg.properties.messageId as string | undefined) ?? '',
    type: (msg.properties.type as string | undefined) ?? msg.fields.routingKey,
    headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
    attempt: attemptOf(msg),
    redelivered: msg.fields.redelivered,
  };
}

/** instanceof, or the same shape from another copy of the contracts package. */
export function isAppError(err: unknown): err is AppError {
  if (err instanceof AppError) return true;
  const e = err as Partial<AppError> | null;
  return (
    !!e &&
    typeof e === 'object' &&
    typeof e.statusCode === 'number' &&
    !!e.body &&
    typeof e.body.message !== 'undefined'
  );
}
