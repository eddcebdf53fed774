/**
 * RPC client over RabbitMQ direct reply-to: requests and the `amq.rabbitmq.reply-to` consumer share one
 * channel (a RabbitMQ requirement). Every failure to get an answer is a 503 the gateway passes on as is:
 * unroutable (nobody serves the command), deadline passed, broker down, channel lost mid-call.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import {
  AppError,
  Exchanges,
  RpcReply,
  unavailable,
  type AnyCommand,
  type ReplyOf,
  type RequestOf,
} from '@wahooks/contracts';
import type { BrokerCore } from './core.js';
import { Headers } from './headers.js';
import type { ChannelHandle } from './connection.js';
import { failSpan, producerAttributes, publishSpanName, startProducerSpan } from './tracing.js';
import { observeRpcClient, outcomeOfError } from './metrics.js';
import { secondsSince } from '@wahooks/metrics';
import type { RequestOptions } from './types.js';
import { rpcFailure } from './rpc-failure.js';
import { parseOr400 } from './validation.js';

const REPLY_TO = 'amq.rabbitmq.reply-to';

interface Pending {
  service: string;
  channel: Channel;
  timer: NodeJS.Timeout;
  resolve: (msg: ConsumeMessage) => void;
  reject: (err: Error) => void;
}

export class RpcClient {
  private readonly pending = new Map<string, Pending>();
  private handle?: ChannelHandle<Channel>;

  constructor(private readonly core: BrokerCore) {}

  /**
   * A plain channel, no publisher confirms: the reply is the confirmation, and `mandatory` + basic.return still
   * fails an unroutable request at once. A channel that dies fails its waiting calls (see attach).
   */
  async start(): Promise<void> {
    this.handle = await this.core.connection.addChannel('rpc-client', (ch) => this.attach(ch), true, false);
  }

  async request<C extends AnyCommand>(
    command: C,
    request: RequestOf<C>,
    options: RequestOptions = {},
  ): Promise<ReplyOf<C>> {
    const { core } = this;
    const service = command.service;
    parseOr400(command.request, request); // the original value is sent: the server parses the same input
    const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? core.defaultTimeoutMs)); // AMQP expiration: integer ms
    const ch = core.connection.isConnected() ? this.handle?.current() : undefined;
    if (!ch) {
      observeRpcClient(command.name, 'not-sent', 0);
      throw rpcFailure('not-sent', unavailable(`${service} service is unavailable: message broker is not connected`));
    }
    const started = performance.now();

    const exchange = core.name(options.exchange ?? Exchanges.commands);
    const routingKey = options.routingKey ?? command.name;
    const correlationId = randomUUID();
    const headers: Record<string, unknown> = { [Headers.deadline]: Date.now() + timeoutMs };
    const { span } = startProducerSpan(
      publishSpanName(exchange, routingKey),
      headers,
      producerAttributes(exchange, routingKey, { 'messaging.message.conversation_id': correlationId }),
    );

    try {
      const reply = await new Promise<ConsumeMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(correlationId);
          reject(rpcFailure('timeout', new AppError(503, `${service} service did not answer within ${timeoutMs} ms`)));
        }, timeoutMs);
        this.pending.set(correlationId, { service, channel: ch, timer, resolve, reject });
        try {
          ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(request)), {
            correlationId,
            replyTo: REPLY_TO,
            expiration: String(timeoutMs), // a request nobody takes in time expires in the queue
            mandatory: options.mandatory ?? true,
            persistent: false, // a request lives for its deadline: writing it to disk buys nothing
            contentType: 'application/json',
            type: command.name,
            appId: core.service,
            timestamp: Math.floor(Date.now() / 1000),
            headers,
          });
        } catch {
          this.fail(
            correlationId,
            rpcFailure('not-sent', unavailable(`${service} service is unavailable: message broker is not connected`)),
          );
        }
      });
      const data = this.decode(command, reply);
      observeRpcClient(command.name, 'ok', secondsSince(started));
      return data;
    } catch (err) {
      observeRpcClient(command.name, outcomeOfError(err), secondsSince(started));
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Reject every call still waiting (close). */
  failAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.fail(id, rpcFailure('lost', unavailable(reason)));
  }

  private decode<C extends AnyCommand>(command: C, msg: ConsumeMessage): ReplyOf<C> {
    let body: RpcReply;
    try {
      body = RpcReply.parse(JSON.parse(msg.content.toString('utf8')));
    } catch {
      throw new AppError(502, `${command.service} service sent a malformed reply`);
    }
    if (!body.ok) throw AppError.fromBody(body.error, httpHeaders(msg));
    const data = command.reply.safeParse(body.data);
    if (!data.success) {
      this.core.logger.error({ command: command.name, issues: data.error.issues }, 'reply fails its schema');
      throw new AppError(502, `${command.service} service sent an invalid reply`);
    }
    return data.data as ReplyOf<C>;
  }

  /** Runs on the rpc channel after every (re)connect. */
  private async attach(ch: Channel): Promise<void> {
    ch.on('return', (msg: Message) => {
      const p = this.pending.get(msg.properties.correlationId as string);
      if (p)
        this.fail(
          msg.properties.correlationId as string,
          rpcFailure('unroutable', unavailable(`${p.service} service is unavailable`)),
        );
    });
    // A reply can only arrive on the channel that sent the request: when it dies, those calls are lost.
    ch.on('close', () => {
      for (const [id, p] of this.pending) {
        if (p.channel === ch)
          this.fail(
            id,
            rpcFailure(
              'lost',
              unavailable(`${p.service} service is unavailable: connection to the message broker was lost`),
            ),
          );
      }
    });
    await ch.consume(
      REPLY_TO,
      (msg) => {
        if (!msg) return;
        const id = msg.properties.correlationId as string | undefined;
        const p = id ? this.pending.get(id) : undefined;
        if (!p || !id) return; // late reply after the deadline: the caller has moved on
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.resolve(msg);
      },
      { noAck: true },
    );
  }

  private fail(correlationId: string, err: Error): void {
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.reject(err);
  }
}

function httpHeaders(msg: ConsumeMessage): Record<string, string> | undefined {
  const raw = msg.properties.headers?.[Headers.httpHeaders];
  if (raw === undefined || raw === null) return undefined;
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)) as Record<string, string>;
  } catch {
    return undefined;
  }
}
