/**
 * The connection service's side of billing, wired in service.ts with one call: the create gate, the
 * enforcement consumer (queue `connection:events:billing`, shared by the replicas) and the commands billing asks
 * (returned, for service.ts to serve with the others).
 * With BILLING_GATE=off only the commands are served: nothing asks billing and nothing is enforced; creates are
 * then bounded by MAX_CONNECTIONS_PER_USER alone.
 */
import type { Broker, CommandBinding } from '@wahooks/broker';
import type { Sql } from '@wahooks/db';
import type { Logger } from '@wahooks/telemetry';
import { enforceSlots } from './enforce-slots.js';
import { createSlotGate, DEFAULT_MAX_CONNECTIONS_PER_USER, type SlotGate } from './slot-gate.js';
import { connectionUsageCommands } from './usage-commands.js';

export type { SlotGate } from './slot-gate.js';
export { billingGateEnv } from './billing-env.js';

export async function startBillingLink(options: {
  sql: Sql;
  broker: Broker;
  logger: Logger;
  gate: 'on' | 'off';
  /** The bound of creates when the gate is off (MAX_CONNECTIONS_PER_USER). */
  maxConnectionsPerUser?: number;
  kickRelay?: () => void;
}): Promise<{ gate: SlotGate; commands: CommandBinding[] }> {
  const { sql, broker, logger, kickRelay } = options;
  const maxPerUser = options.maxConnectionsPerUser ?? DEFAULT_MAX_CONNECTIONS_PER_USER;
  // Not served here: service.ts serves every command of the shared queue in one call (see there).
  const commands = connectionUsageCommands(sql, maxPerUser);
  const gate = createSlotGate({ broker, enabled: options.gate === 'on', maxPerUser });
  if (gate.enabled) await broker.subscribe('billing', [enforceSlots({ sql, broker, logger, kickRelay })]);
  else
    logger.info(
      { maxConnectionsPerUser: options.maxConnectionsPerUser },
      'BILLING_GATE=off: connection creates are limited by MAX_CONNECTIONS_PER_USER, not by billing slots',
    );
  return { gate, commands };
}
