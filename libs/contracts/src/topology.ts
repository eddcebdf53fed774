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
  /** direct: session-owned commands; routing key = connection id, bound by the replica that owns the session. */
  sessions: 'wahooks.sessions',
} as const;

export const Queues = {
  /**
   * classic (deliberately, see libs/broker/src/topology.ts): the RPC requests a service answers (bound to
   * `<service>.#` on the commands exchange). A request lives only for its deadline, so quorum buys nothing.
   */
  commands: (service: ServiceName) => `${service}:commands`,
  /** quorum: the events one service consumes for one purpose, e.g. `webhook-delivery:events:fan-out`. */
  events: (service: ServiceName, purpose: string) => `${service}:events:${purpose}`,
  /** quorum: dead letters of one service, with `x-death-reason` headers; inspected and replayed by hand. */
  deadLetters: (service: ServiceName) => `dead-letters:${service}`,
} as const;

/** Routing-key pattern that binds a service's command queue to every command addressed to it. */
export const commandBinding = (service: ServiceName) => `${service}.#`;

/** Routing key of the ping command every service answers (used by the gateway's /api/health). */
export const pingCommandName = (service: ServiceName) => `${service}.health.ping`;
