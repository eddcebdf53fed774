import type { z } from 'zod';

/** The six services. A command's first routing-key segment names the service that answers it. */
export const ServiceNames = ['gateway', 'token', 'connection', 'messaging', 'webhook-delivery', 'billing'] as const;
export type ServiceName = (typeof ServiceNames)[number];

/**
 * A command is an RPC: `request` is validated by the caller before sending and by the server on receipt (a
 * failure is a 400, see zod-errors.ts); `reply` is validated by the server before answering and by the caller on
 * receipt. `name` is `<service>.<entity>.<verb>`. It is the routing key on the commands exchange, except for
 * session-owned commands (`connection.session.*`), which travel on the sessions exchange keyed by connection id.
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

/**
 * A work-queue task: a message one service puts on its own queue for itself (e.g. webhook-delivery's attempt
 * ladder). Not routed by name; `name` identifies it in logs and in the catalogue (README.md). `payload` is the
 * whole message body and carries `version`, so a decoder can tell a newer shape from one still queued by an
 * older deployment.
 */
export interface TaskDef<Name extends string = string, P extends z.ZodType = z.ZodType> {
  readonly kind: 'task';
  readonly name: Name;
  readonly version: number;
  readonly payload: P;
  readonly summary: string;
}

export type AnyCommand = CommandDef<string, z.ZodType, z.ZodType>;
export type AnyEvent = EventDef<string, z.ZodType>;
export type RequestOf<C extends AnyCommand> = z.input<C['request']>;
export type ReplyOf<C extends AnyCommand> = z.output<C['reply']>;
export type PayloadOf<E extends AnyEvent> = z.output<E['payload']>;
export type TaskOf<T extends TaskDef> = z.output<T['payload']>;

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

export function defineTask<Name extends string, P extends z.ZodType>(def: {
  name: Name;
  version: number;
  payload: P;
  summary: string;
}): TaskDef<Name, P> {
  return { kind: 'task', ...def };
}
