/**
 * Every exchange, queue and routing-key name in one place.
 * Changing a value renames a live queue or exchange: write a migration (or a shovel) first.
 * A broker `namespace` (tests: one per test file) is prefixed to every name below by libs/broker.
 */
import type { ServiceName } from './define.js';

export const Exchanges = {
  /** topic: commands (RPC requests); routing key = command name `<service>.<entity>.<verb>`. */
  commands: 'wahooks.commands',
  /** topic: domain events; routing key = event type `<producer>.<entity>.<event>`. */
  events: 'wahooks.events',
  /** direct: messages a consumer gave up on; routing key = the consuming service's name. */
  deadLetters: 'wahooks.dead-letters',
  /**
   * direct: session-owned commands (`connection.session.*`); routing key = connection id, bound by the replica
   * that holds the session to its own exclusive queue.
   */
  sessions: 'wahooks.sessions',
} as const;

export const Queues = {
  /**
   * classic (deliberately, see libs/broker/src/topology.ts): the RPC requests a service answers, bound on the
   * commands exchange to each command name it serves (and its ping), so a command nobody serves is unroutable
   * and fails at once at the caller (503). A request lives only for its deadline, so quorum buys nothing.
   */
  commands: (service: ServiceName) => `${service}:commands`,
  /**
   * quorum: the events one service consumes for one purpose, e.g. `webhook-delivery:events:fan-out`, bound to
   * each event type it handles. (A per-replica subscription, e.g. the gateway's auth-cache, uses a server-named
   * exclusive queue instead.)
   */
  events: (service: ServiceName, purpose: string) => `${service}:events:${purpose}`,
  /**
   * quorum: dead letters of one service (bound on the dead-letters exchange with key = service), with
   * `x-wahooks-death-reason` and origin headers (RabbitMQ's `x-death` for queues that dead-letter natively, e.g.
   * webhook-delivery's attempt queue); inspected and replayed by hand.
   */
  deadLetters: (service: ServiceName) => `dead-letters:${service}`,
} as const;

/** Routing key of the ping command every service answers (used by the gateway's /api/health). */
export const pingCommandName = (service: ServiceName) => `${service}.health.ping`;
