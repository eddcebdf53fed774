/**
 * The sessions this replica holds: a lease per session (see lease/), one WhatsAppSession per lease, the
 * session's commands bound to this replica on the sessions exchange, and the outbox relay scoped to them.
 * Losing a lease closes that session's socket at once.
 */
import { mapCommandErrors, type Broker, type CommandBinding, type RoutedServer } from '@wahooks/broker';
import { databaseOutageAs503 } from '../commands/database-outage.js';
import type { Logger } from '@wahooks/telemetry';
import { findConnection, runnableConnectionIds, setOwner } from '../connections/connections-repo.js';
import type { Sql } from '@wahooks/db';
import { createLeaseManager, type LeaseManager } from '../lease/lease-manager.js';
import type { RedisLike } from '../lease/redis-lease.js';
import { purgeSent } from '../outbox/outbox-repo.js';
import { startOutboxRelay, type OutboxRelay } from '../outbox/outbox-relay.js';
import type { MediaStore } from './outbound/media-store.js';
import { contactsCommands } from './contacts-commands.js';
import { groupsCommands } from './groups-commands.js';
import { pairingCommands } from './pairing-commands.js';
import { sendCommands } from './send-commands.js';
import { sessionCommands } from './session-commands.js';
import { trimMessages } from './session-store.js';
import { WhatsAppSession, type SessionConfig } from './whatsapp-session.js';
import { trackSessions } from './session-metrics.js';

export interface SessionManagerOptions {
  sql: Sql;
  redis: RedisLike;
  redisPrefix: string;
  broker: Broker;
  config: SessionConfig;
  leaseMs?: number;
  logger: Logger;
  /** Housekeeping: sent outbox rows are kept this long (their dedupe keys with them), default 7 days. */
  outboxRetentionMs?: number;
  /** Messages kept per connection for getMessage/media/revokes, default 1000. */
  messageWindow?: number;
  /** Where outbound media bytes are staged (Redis, by the messaging service). */
  media: MediaStore;
  /** Deadline of one outbound send, ms (default 45 s). */
  sendTimeoutMs?: number;
}

export interface SessionManager {
  start(): Promise<void>;
  held(): string[];
  session(id: string): WhatsAppSession | undefined;
  relay: OutboxRelay;
  leases: LeaseManager;
  stop(): Promise<void>;
}

export async function createSessionManager(opts: SessionManagerOptions): Promise<SessionManager> {
  const { sql, broker, logger } = opts;
  const sessions = new Map<string, WhatsAppSession>();
  const untrackSessions = trackSessions(() => sessions.values()); // connection_sessions{status}
  const relay = startOutboxRelay({ sql, broker, logger, connections: () => [...sessions.keys()] });
  let routed: RoutedServer | undefined;

  const leases = createLeaseManager({
    redis: opts.redis,
    prefix: opts.redisPrefix,
    instanceId: broker.instanceId,
    leaseMs: opts.leaseMs,
    logger,
    desired: () => runnableConnectionIds(sql),
    async onAcquired(id, token) {
      const row = await findConnection(sql, id);
      if (!row || row.status === 'stopped' || row.status === 'failed') return void (await leases.release(id));
      const session = new WhatsAppSession({
        sql,
        connection: { id, userId: row.user_id, sessionName: row.session_name },
        fencingToken: token,
        config: opts.config,
        logger,
        onPersisted: () => relay.kick(),
      });
      sessions.set(id, session);
      await setOwner(sql, id, broker.instanceId);
      await session.start(row.status);
      await routed?.bind(id);
      relay.kick(); // events a dead owner left unsent
    },
    async onLost(id) {
      const session = sessions.get(id);
      sessions.delete(id);
      session?.close(); // first: never two sockets
      await routed?.unbind(id).catch(() => undefined);
      await session?.stop();
    },
  });

  // Every command bound on the sessions exchange under the connection ids this replica holds. Other
  // session-owned command lists (e.g. the messaging sends, send-commands.ts) are appended here.
  const routedCommands = (): CommandBinding[] => [
    ...sessionCommands((id) => sessions.get(id)),
    ...pairingCommands((id) => sessions.get(id)),
    ...contactsCommands((id) => sessions.get(id)),
    ...groupsCommands((id) => sessions.get(id)),
    ...sendCommands({
      sql,
      media: opts.media,
      sendTimeoutMs: opts.sendTimeoutMs,
      logger,
      session: (id) => sessions.get(id),
    }),
  ];

  let janitor: NodeJS.Timeout | undefined;
  async function housekeeping() {
    await purgeSent(sql, opts.outboxRetentionMs ?? 7 * 24 * 3600_000);
    for (const id of sessions.keys()) await trimMessages(sql, id, opts.messageWindow ?? 1000);
  }

  return {
    async start() {
      routed = await broker.serveRouted(mapCommandErrors(routedCommands(), databaseOutageAs503));
      leases.start();
      janitor = setInterval(
        () => void housekeeping().catch((err: Error) => logger.warn({ err: err.message }, 'housekeeping failed')),
        10 * 60_000,
      );
      janitor.unref();
    },
    held: () => [...sessions.keys()],
    session: (id) => sessions.get(id),
    relay,
    leases,
    async stop() {
      clearInterval(janitor);
      await leases.stop(); // releases every lease → onLost → sockets closed
      await Promise.all([...sessions.values()].map((s) => s.stop()));
      await relay.stop();
      untrackSessions();
    },
  };
}
