/**
 * RPC server: the quorum queue `<service>:commands`, bound on the commands exchange to each served command
 * name (plus the ping), so a command nobody serves is unroutable and fails fast at the caller. Replies go to
 * the caller's direct reply-to address; the request is acked after the reply is sent.
 */
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AppError, Exchanges, pingCommand, Queues, type RpcReply } from '@wahooks/contracts';
import { ack } from './consumer.js';
import type { BrokerCore } from './core.js';
import { Headers, headerNumber } from './headers.js';
import { attemptOf } from './retry.js';
import { commandQueueOptions } from './topology.js';
import { failSpan, messagingAttributes, withConsumerSpan } from './tracing.js';
import { handle, type CommandBinding, type MessageContext } from './types.js';
import { parseOr400 } from './validation.js';

const INTERNAL: RpcReply = {
  ok: false,
  error: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
};

export class RpcServer {
  private readonly bindings = new Map<string, CommandBinding>();
  private channel?: ConfirmChannel;
  private started = false;

  constructor(private readonly core: BrokerCore) {}

  /** Adds handlers; the first call starts consuming, later calls bind the new command names. */
  async serve(bindings: CommandBinding[]): Promise<void> {
    const { core } = this;
    const ping = pingCommand(core.service);
    const added = [...bindings];
    if (!this.bindings.has(ping.name)) {
      added.push(
        handle(ping, async () => ({
          service: core.service,
          instance: core.instanceId,
          uptimeMs: Date.now() - core.startedAt,
        })),
      );
    }
    for (const b of added) this.bindings.set(b.command.name, b);
    if (!this.started) {
      this.started = true;
      await core.consumers.start({
        label: 'rpc-server',
        prefetch: core.prefetch,
        declare: (ch) => this.declare(ch, [...this.bindings.keys()]),
        onMessage: (ch, msg) => this.onMessage(ch, msg),
      });
    } else if (this.channel) {
      await this.declare(
        this.channel,
        added.map((b) => b.command.name),
      );
    }
  }

  private async declare(ch: ConfirmChannel, names: string[]): Promise<string> {
    const queue = this.core.name(Queues.commands(this.core.service));
    await ch.assertQueue(queue, commandQueueOptions());
    for (const n of names) await ch.bindQueue(queue, this.core.name(Exchanges.commands), n);
    this.channel = ch;
    return queue;
  }

  private async onMessage(ch: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const { core } = this;
    const { headers, replyTo, correlationId } = msg.properties;
    const deadline = headerNumber(headers, Headers.deadline);
    if (deadline !== undefined && deadline < Date.now()) {
      core.logger.debug({ command: msg.properties.type }, 'request past its deadline; skipped');
      ack(ch, msg);
      return;
    }
    const name = (msg.properties.type as string | undefined) ?? msg.fields.routingKey;
    await withConsumerSpan(
      `${name} process`,
      headers,
      messagingAttributes(msg.fields.exchange, 'process', {
        'messaging.rabbitmq.destination.routing_key': msg.fields.routingKey,
        'messaging.message.conversation_id': correlationId,
      }),
      async (span) => {
        let reply: RpcReply;
        let httpHeaders: Record<string, string> | undefined;
        try {
          reply = { ok: true, data: await this.run(name, msg) };
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
        if (replyTo) {
          try {
            ch.publish(
              '',
              replyTo,
              Buffer.from(JSON.stringify(reply)),
              {
                correlationId,
                contentType: 'application/json',
                headers: httpHeaders ? { [Headers.httpHeaders]: JSON.stringify(httpHeaders) } : undefined,
              },
              (err: unknown) => {
                if (err) core.logger.warn({ command: name, err: String(err) }, 'reply not confirmed');
              },
            );
          } catch (err) {
            core.logger.warn({ command: name, err: (err as Error).message }, 'reply not sent');
          }
        }
        ack(ch, msg);
      },
    );
  }

  /** Parse, dispatch, check the reply against its schema. Returns the handler's (validated) value. */
  private async run(name: string, msg: ConsumeMessage): Promise<unknown> {
    const binding = this.bindings.get(name);
    if (!binding) throw new AppError(501, `${this.core.service} service does not handle ${name}`);
    let body: unknown;
    try {
      body = JSON.parse(msg.content.toString('utf8'));
    } catch {
      throw new AppError(400, 'request body is not valid JSON');
    }
    const request = parseOr400(binding.command.request, body);
    const data = await binding.handler(request, messageContext(msg));
    const checked = binding.command.reply.safeParse(data);
    if (!checked.success) {
      this.core.logger.error({ command: name, issues: checked.error.issues }, 'handler reply fails its schema');
      throw new Error(`reply of ${name} fails its schema`);
    }
    return data; // as returned: the client parses the same input with the same schema
  }
}

export function messageContext(msg: ConsumeMessage): MessageContext {
  return {
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
