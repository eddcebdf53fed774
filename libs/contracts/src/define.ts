import type { z } from 'zod';

/** The six services. A command's first routing-key segment names the service that answers it. */
export const ServiceNames = ['gateway', 'token', 'connection', 'messaging', 'webhook-delivery', 'billing'] as const;
export type ServiceName = (typeof ServiceNames)[number];

/**
 * A command is an RPC: `request` is validated by the caller before sending and by the server on receipt,
 * `reply` is validated by the server before answering. `name` is `<service>.<entity>.<verb>` and is also the
 * routing key on the commands exchange.
 */
export interface CommandDef<
  Name extends string = string,
  Req extends z.ZodType = z.ZodType,
  Res extends z.ZodType = z.ZodType,
> {
  readonly kind: 'command';
  readonly name: Name;
  readonly version: number;
  readonly service: ServiceName;
  readonly request: Req;
  readonly reply: Res;
  readonly summary: string;
}

/** An event is a fact, published on the events topic exchange; `type` is `<producer>.<entity>.<event>` and the routing key. */
export interface EventDef<Type extends string = string, P extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly type: Type;
  readonly version: number;
  readonly payload: P;
  readonly summary: string;
}

export type AnyCommand = CommandDef<string, z.ZodType, z.ZodType>;
export type AnyEvent = EventDef<string, z.ZodType>;
export type RequestOf<C extends AnyCommand> = z.input<C['request']>;
export type ReplyOf<C extends AnyCommand> = z.output<C['reply']>;
export type PayloadOf<E extends AnyEvent> = z.output<E['payload']>;

export function defineCommand<Name extends string, Req extends z.ZodType, Res extends z.ZodType>(def: {
  name: Name;
  version: number;
  request: Req;
  reply: Res;
  summary: string;
}): CommandDef<Name, Req, Res> {
  const service = def.name.split('.')[0] as ServiceName;
  return { kind: 'command', service, ...def };
}

export function defineEvent<Type extends string, P extends z.ZodType>(def: {
  type: Type;
  version: number;
  payload: P;
  summary: string;
}): EventDef<Type, P> {
  return { kind: 'event', ...def };
}
