/**
 * The billing gate of connection create (the reuse path of get-or-create is not gated, as in the original).
 * Billing says what the user's slots are (`billing.slots.get`, answered from its projection); this service
 * counts the user's non-stopped connections itself and applies the one rule (`slotDecision` in contracts), under
 * a per-user lock held by the create's transaction, so two concurrent creates cannot both take the last slot.
 */
import type { Broker } from '@wahooks/broker';
import {
  AppError,
  forbidden,
  GetSlotAllowance,
  serverCapMessage,
  slotDecision,
  unavailable,
  type SlotAllowance,
} from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';

/** MAX_CONNECTIONS_PER_USER's default (billing-env.ts). */
export const DEFAULT_MAX_CONNECTIONS_PER_USER = 50;

/** ms billing has to answer: inside the gateway's deadline for the create (RPC_TIMEOUT_MS, 5 s by default). */
export const BILLING_TIMEOUT_MS = 3000;

export interface SlotGate {
  /** true when creates are gated (BILLING_GATE=on). */
  readonly enabled: boolean;
  /** The user's slots from billing; 503 when billing cannot answer. Undefined when the gate is off. */
  allowance(userId: string): Promise<SlotAllowance | undefined>;
  /** Inside the create's transaction: serialise the user's creates, count, and 403 when no slot is free (gate
   *  off: when the user has MAX_CONNECTIONS_PER_USER already). */
  reserve(tx: Sql, userId: string, allowance: SlotAllowance | undefined): Promise<void>;
}

/** Serialises a user's creates (and enforcement's choice of what to stop) until the transaction ends. */
export async function lockUserConnections(tx: Sql, userId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('wahooks:connection:slots:' || $1))`, [userId]);
}

/** Connections that take a slot: every one not stopped. */
export async function countActiveConnections(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM connection.connections WHERE user_id = $1 AND status <> 'stopped'`,
    [userId],
  );
  return row?.n ?? 0;
}

export async function fetchAllowance(broker: Broker, userId: string): Promise<SlotAllowance> {
  try {
    return await broker.request(GetSlotAllowance, { userId }, { timeoutMs: BILLING_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof AppError && err.statusCode >= 500)
      throw unavailable('Billing service unavailable, retry shortly');
    throw err;
  }
}

/**
 * With the gate off, creates are still bounded: `maxPerUser` connections (MAX_CONNECTIONS_PER_USER). With the
 * gate on and billing off (self-hosted), that bound and BILLING_FREE_SLOTS compose (the smaller wins); with
 * billing on, the paid slots decide.
 */
export function createSlotGate(options: { broker: Broker; enabled: boolean; maxPerUser?: number }): SlotGate {
  const { broker, enabled, maxPerUser = DEFAULT_MAX_CONNECTIONS_PER_USER } = options;
  return {
    enabled,
    allowance: async (userId) => (enabled ? fetchAllowance(broker, userId) : undefined),
    async reserve(tx, userId, allowance) {
      await lockUserConnections(tx, userId);
      const active = await countActiveConnections(tx, userId);
      if (!allowance) {
        if (active >= maxPerUser) throw forbidden(serverCapMessage(maxPerUser));
        return;
      }
      // Billing off (self-hosted): the free slots and MAX_CONNECTIONS_PER_USER, whichever is smaller.
      const decision = slotDecision(allowance, active, maxPerUser);
      if (!decision.allowed) throw forbidden(decision.message);
    },
  };
}
