/**
 * What billing asks the other services over RabbitMQ: the token service for a user's email and admin flag, the
 * connection service for connection counts and the linked connections. A peer that is down is a 503 here.
 */
import type { Broker } from '@wahooks/broker';
import {
  AppError,
  CountConnections,
  GetMe,
  ListWorkingConnections,
  notFound,
  unavailable,
  type AnyCommand,
  type ReplyOf,
  type RequestOf,
} from '@wahooks/contracts';

/** ms each peer has to answer: well inside the gateway's own deadline for the billing call. */
const PEER_TIMEOUT_MS = 3000;

async function ask<C extends AnyCommand>(broker: Broker, cmd: C, req: RequestOf<C>, peer: string): Promise<ReplyOf<C>> {
  try {
    return await broker.request(cmd, req, { timeoutMs: PEER_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof AppError && err.statusCode >= 500) throw unavailable(`${peer} unavailable, retry shortly`);
    throw err;
  }
}

export interface UserProfile {
  email: string | null;
  isAdmin: boolean;
}

export class PeerServices {
  constructor(private readonly broker: Broker) {}

  /** The users row (token service); 404 User not found when there is none. */
  async user(userId: string): Promise<UserProfile> {
    const me = await ask(this.broker, GetMe, { userId }, 'Token service');
    // token.user.get answers {id, isAdmin: false} without an email key when no users row exists.
    if (!('email' in me)) throw notFound('User not found');
    return { email: me.email ?? null, isAdmin: me.isAdmin };
  }

  /** Only the admin flag: false for a user without a row. */
  async isAdmin(userId: string): Promise<boolean> {
    return (await ask(this.broker, GetMe, { userId }, 'Token service')).isAdmin;
  }

  /** Non-stopped connections (slots used), and the connection service's per-user bound when billing is off. */
  async usedSlots(userId: string): Promise<{ used: number; serverCap: number }> {
    const count = await ask(this.broker, CountConnections, { userId }, 'Connection service');
    return { used: count.active, serverCap: count.maxPerUser };
  }

  /** Every connection linked now, a page at a time. */
  async workingConnections(after?: string): Promise<{ id: string; userId: string }[]> {
    return (await ask(this.broker, ListWorkingConnections, after ? { after } : {}, 'Connection service')).connections;
  }
}
