/**
 * The broker's public surface. Services depend on this interface only; `connectBroker()` returns it.
 * Every exchange and queue name passed in or derived here is prefixed with `namespace` (tests: unique per file).
 */
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { z } from 'zod';
import type {
  AnyCommand,
  AnyEvent,
  PayloadOf,
  ReplyOf,
  RequestOf,
  ServiceHealth,
  ServiceName,
} from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';

/**
 * amqplib's types where the low-level API (`addSetup`, `publishRaw`, `consumeRaw`, streams) hands them out,
 * re-exported so that services never import amqplib themselves (eslint.config.js: only this lib may).
 */
export type RawMessage = ConsumeMessage;
export type SetupChannel = ConfirmChannel;
export type PublishOptions = Options.Publish;
export type QueueOptions = Options.AssertQueue;

export interface BrokerOptions {
  url: string; // amqp://user:pass@host:port/vhost
  service: ServiceName; // names this process's queues and its dead-letter queue
  namespace?: string; // prefix for every exchange/queue name ('' in production)
  logger?: Logger;
  prefetch?: number; // default prefetch per consumer (default 32)
  defaultTimeoutMs?: number; // RPC deadline when the call gives none (default 5000)
  instanceId?: string; // default `${hostname}:${pid}`
  publishWaitMs?: number; // publish/publishRaw wait this long for a reconnect before failing with 503 (default 5000)
  closeTimeoutMs?: number; // close() waits this long for in-flight handlers (default 10000)
  connectRetries?: number; // reconnect attempts before the FIRST connection counts as failed (default 8, ~25 s)
  /**
   * What this replica's ping reply reports about its own dependencies, e.g. `{ database: await checkDatabase(db) }`
   * (GET /api/health aggregates it). Must not throw and should answer well within the caller's deadline.
   */
  health?: () => Promise<ServiceHealth>;
}

export interface RequestOptions {
  timeoutMs?: number; // deadline, ms; on expiry the call rejects with AppError 503 '<service> service did not answer within <n> ms'
  exchange?: string; // un-namespaced exchange name; default Exchanges.commands
  routingKey?: string; // default: the command name
  mandatory?: boolean; // default true: an unroutable request rejects at once with AppError 503
}

export interface MessageContext {
  messageId: string;
  type: string;
  headers: Record<string, unknown>;
  attempt: number; // 1 on first delivery, +1 per retry of this handler
  redelivered: boolean;
  /**
   * Run `work` (a wait: a timer, another service's answer) without holding this handler's concurrency slot, so
   * waiting handlers do not keep others from running. Effective where the slot is in-process (`serve()`: the RPC
   * server runs at most `prefetch` handlers at once); elsewhere (events, routed commands: the broker's prefetch)
   * it just runs `work`. The slot is taken back, ahead of messages not yet started, before it returns.
   */
  withoutSlot?<T>(work: () => Promise<T>): Promise<T>;
}

/** Gets the parsed request; returns the reply (validated against `command.reply` before sending) or throws AppError. */
export type CommandHandler<C extends AnyCommand> = (
  request: z.output<C['request']>,
  ctx: MessageContext,
) => Promise<z.input<C['reply']>>;

export type EventHandler<E extends AnyEvent> = (
  payload: PayloadOf<E>,
  event: EventEnvelope<PayloadOf<E>>,
  ctx: MessageContext,
) => Promise<void>;

/** The body of every event message. `id` (also the AMQP messageId) is the idempotency key downstream. */
export interface EventEnvelope<P = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string; // ISO-8601
  payload: P;
}

export interface SubscribeOptions {
  prefetch?: number;
  maxAttempts?: number; // handler attempts before dead-lettering with the reason (default 5)
  exclusive?: boolean; // per-instance, auto-delete, server-named queue (e.g. cache invalidation fan-out)
  retryBackoffMs?: number; // wait before retry copy n+1: base * 2^(n-1) ms, capped at 5 s (default 200)
}

/** What a raw consumer decides for one message. */
export type RawOutcome = 'ack' | 'requeue' | { deadLetter: string /* reason */ };

export interface Broker {
  readonly service: ServiceName;
  readonly instanceId: string;
  /** Apply the namespace to an exchange or queue name. */
  name(raw: string): string;

  /** RPC: validate, publish with correlationId/replyTo (direct reply-to) and a deadline, await the typed reply. */
  request<C extends AnyCommand>(command: C, request: RequestOf<C>, options?: RequestOptions): Promise<ReplyOf<C>>;
  /** Answer commands (declares `<service>:commands`, binds each command name; also answers the ping). */
  serve(handlers: CommandBinding[]): Promise<void>;

  /**
   * Answer commands addressed to a key this instance holds (e.g. a connection id on `wahooks.sessions`), on a
   * per-instance queue; callers use `request(cmd, req, {exchange: Exchanges.sessions, routingKey: key})`.
   * `exchange` is un-namespaced and must be a direct exchange (default Exchanges.sessions).
   */
  serveRouted(handlers: CommandBinding[], options?: { exchange?: string }): Promise<RoutedServer>;

  /** Publish an event with confirms; resolves once the broker has it. Returns the envelope id. */
  publish<E extends AnyEvent>(
    event: E,
    payload: PayloadOf<E>,
    options?: { id?: string; headers?: Record<string, unknown> },
  ): Promise<string>;
  /** Consume events on the durable quorum queue `<service>:events:<purpose>` bound to each event's type. */
  subscribe(purpose: string, handlers: EventBinding[], options?: SubscribeOptions): Promise<void>;

  /** Low level, for services with their own topology (e.g. retry ladders): run on connect and every reconnect. */
  addSetup(setup: (channel: ConfirmChannel) => Promise<void>): Promise<void>;
  /** Low level: confirmed publish to an exchange (namespaced) with raw bytes. */
  publishRaw(exchange: string, routingKey: string, body: Buffer, options?: Options.Publish): Promise<void>;
  /** Low level: consume a (namespaced) queue you declared in a setup; you decide the outcome per message. */
  consumeRaw(
    queue: string,
    onMessage: (msg: ConsumeMessage) => Promise<RawOutcome>,
    options?: { prefetch?: number },
  ): Promise<void>;

  /**
   * Upgrade path for a durable queue replaced under a new name (its type or arguments changed): moves its ready
   * messages to `moveTo` if given, then deletes it when empty and unused; else leaves it and says why.
   */
  retireQueue(queue: string, options?: { moveTo?: string }): Promise<RetireOutcome>;

  isConnected(): boolean;
  /** Stop consuming, wait for in-flight handlers, close the connection. */
  close(): Promise<void>;
}

/** What `retireQueue` did: nothing to do, deleted, or kept because messages or consumers remain. */
export type RetireOutcome =
  | { state: 'absent' | 'deleted'; moved: number }
  | { state: 'kept'; moved: number; messages: number; consumers: number };

/** The keys one instance answers for on a routed (direct) exchange; re-bound after every reconnect. */
export interface RoutedServer {
  /** Start receiving commands routed with `key` (idempotent). */
  bind(key: string): Promise<void>;
  /** Stop receiving them; requests for the key become unroutable (503) unless another instance holds it. */
  unbind(key: string): Promise<void>;
  keys(): string[];
}

/** A command paired with its handler; build with `handle(command, fn)` so the handler is typed. */
export interface CommandBinding {
  command: AnyCommand;
  handler: CommandHandler<any>;
}
/** An event paired with its handler; build with `on(event, fn)`. */
export interface EventBinding {
  event: AnyEvent;
  handler: EventHandler<any>;
}
export const handle = <C extends AnyCommand>(command: C, handler: CommandHandler<C>): CommandBinding => ({
  command,
  handler,
});
export const on = <E extends AnyEvent>(event: E, handler: EventHandler<E>): EventBinding => ({ event, handler });
