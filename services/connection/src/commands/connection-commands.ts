/**
 * The connection API (docs/api.md), answered by any replica from Postgres; actions that need the
 * live socket are forwarded to the replica holding the session.
 */
import { handle, type Broker, type CommandBinding } from '@wahooks/broker';
import {
  badRequest,
  ConnectionCreated,
  CreateConnection,
  DeleteConnection,
  GetConnection,
  GetConnectionMe,
  GetConnectionMedia,
  GetConnectionQr,
  GetContactPicture,
  GetOrCreateConnection,
  ListChatMessages,
  ListConnectionChats,
  ListConnections,
  notFound,
  ReadConnection,
  RestartConnection,
  UpdateConnection,
  withPublicMediaUrl,
} from '@wahooks/contracts';
import { DEFAULT_PUBLIC_API_URL } from '@wahooks/config';
import { loadCreds, useDatabaseAuthState } from '../auth/database-auth-state.js';
import { toConnectionView } from '../connections/connection-view.js';
import {
  findConnection,
  insertConnection,
  listConnections,
  newestIdleConnection,
  ownedConnection,
  assertConnectionId,
  renameConnection,
  setConnectionStatus,
} from '../connections/connections-repo.js';
import type { Sql } from '@wahooks/db';
import { appendLifecycleEvent } from '../outbox/outbox-repo.js';
import { parseMediaFileName, toChatId, toJid, toWahaMessage, type MapContext } from '../events/index.js';
import { forgetSessionData, recentChats, recentMessages } from '../sessions/session-store.js';
import { askOwner, workerBooting } from './session-client.js';
import { stopConnection } from './stop-connection.js';
import type { SlotGate } from '../billing/slot-gate.js';

export interface CommandDeps {
  sql: Sql;
  broker: Broker;
  /** get-or-create: how long to wait for a QR, and how often to look (the original: 10 × 2 s). */
  qrWait?: { attempts: number; intervalMs: number };
  /** Wakes the outbox relay after a lifecycle event is written (it also polls). */
  kickRelay?: () => void;
  /** The gateway's public base URL (PUBLIC_API_URL): chat messages show media URLs under it, as webhooks do. */
  publicApiUrl?: string;
  /** The billing gate of create (src/billing); absent: creates are not gated. */
  slots?: SlotGate;
  /** Media the sessions will not download (sessions/media-download.ts): the chats API shows it as webhooks do. */
  mediaRefusal?: MapContext['mediaRefusal'];
}

export function connectionCommands(deps: CommandDeps): CommandBinding[] {
  const { sql, broker } = deps;
  const qrWait = deps.qrWait ?? { attempts: 10, intervalMs: 2000 };

  /** The HTTP QR answer (the raw QR string stays internal); null/undefined: no QR yet, or nobody holds it. */
  async function qrOf(id: string) {
    const answer = await askOwner(broker, id, 'qr');
    if (answer && 'value' in answer) return { value: answer.value, mimetype: answer.mimetype };
    return answer;
  }

  // The row and its created event are written together; the relay publishes it, so creating a connection
  // does not depend on the publish path (a 503 after the insert made clients retry into duplicates).
  async function create(userId: string, name: string | null) {
    const allowance = await deps.slots?.allowance(userId); // billing, asked before the transaction: 503 if down
    const row = await sql.transaction(async (tx) => {
      await deps.slots?.reserve(tx, userId, allowance); // 403 when no slot is free (counted under a per-user lock)
      const inserted = await insertConnection(tx, userId, name);
      await appendLifecycleEvent(tx, inserted.id, ConnectionCreated.type, { connectionId: inserted.id, userId });
      return inserted;
    });
    deps.kickRelay?.();
    return row;
  }

  return [
    handle(ListConnections, async ({ userId }) => (await listConnections(sql, userId)).map(toConnectionView)),

    handle(CreateConnection, async ({ userId, name }) =>
      // name was parsed by the request schema (ConnectionName): a string, or null when cleared.
      toConnectionView(await create(userId, name ?? null)),
    ),

    handle(ReadConnection, async ({ userId, connectionId }) =>
      toConnectionView(await ownedConnection(sql, userId, connectionId)),
    ),

    handle(GetConnection, async ({ connectionId }) => {
      const row = await findConnection(sql, assertConnectionId(connectionId));
      if (!row) throw notFound('Connection not found');
      return { id: row.id, userId: row.user_id, status: row.status };
    }),

    handle(UpdateConnection, async ({ userId, connectionId, name }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      return toConnectionView(name === undefined ? row : await renameConnection(sql, row.id, name));
    }),

    handle(DeleteConnection, async ({ userId, connectionId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      return toConnectionView(await stopConnection(deps, row)); // logout, socket closed, stopped; idempotent
    }),

    handle(RestartConnection, async ({ userId, connectionId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      if (row.status === 'stopped') throw notFound('Connection not found');
      const done = await askOwner(broker, row.id, 'relink', {}, 15_000);
      if (!done) {
        // Nobody holds it (failed, or between owners): wipe, and let a replica claim it with a fresh QR.
        const auth = await useDatabaseAuthState(sql, row.id);
        await auth.wipe();
        await forgetSessionData(sql, row.id);
        return toConnectionView(await setConnectionStatus(sql, row.id, 'pending'));
      }
      return toConnectionView((await findConnection(sql, row.id))!);
    }),

    handle(GetConnectionQr, async ({ userId, connectionId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      if (row.status === 'working') return { connected: true as const };
      if (row.status === 'failed') await setConnectionStatus(sql, row.id, 'pending'); // a failed connection starts over
      const qr = await qrOf(row.id);
      if (!qr) throw workerBooting();
      return qr;
    }),

    handle(GetOrCreateConnection, async ({ userId }) => {
      let row = await newestIdleConnection(sql, userId);
      if (row?.status === 'failed') row = await setConnectionStatus(sql, row.id, 'pending');
      row ??= await create(userId, null);
      for (let i = 0; i < qrWait.attempts; i++) {
        const qr = await qrOf(row.id).catch(() => undefined);
        if (qr && 'connected' in qr) return { id: row.id, status: 'connected' as const, qr: null };
        if (qr) return { id: row.id, status: 'scan_qr' as const, qr: qr.value };
        await new Promise((r) => setTimeout(r, qrWait.intervalMs));
      }
      return { id: row.id, status: 'pending' as const, qr: null };
    }),

    handle(GetConnectionMe, async ({ userId, connectionId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      const creds = await loadCreds(sql, row.id);
      if (!creds?.me?.id || !creds.account) return null;
      return { id: toChatId(creds.me.id)!, ...(creds.me.name ? { pushName: creds.me.name } : {}) };
    }),

    handle(ListConnectionChats, async ({ userId, connectionId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      return recentChats(sql, row.id, 20);
    }),

    handle(ListChatMessages, async ({ userId, connectionId, chatId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      if (!/^[0-9A-Za-z.:_-]+@(c\.us|s\.whatsapp\.net|g\.us|lid|broadcast|newsletter)$/.test(chatId))
        throw badRequest('Invalid chat id');
      const jid = toJid(chatId);
      const messages = await recentMessages(sql, row.id, [jid], 50);
      const creds = await loadCreds(sql, row.id);
      const me = creds?.me?.id ? { id: toChatId(creds.me.id)! } : null;
      const publicApiUrl = deps.publicApiUrl ?? DEFAULT_PUBLIC_API_URL;
      return messages.map((m) =>
        withPublicMediaUrl(
          toWahaMessage(m, { me, connectionId: row.id, nowMs: Date.now, mediaRefusal: deps.mediaRefusal }),
          publicApiUrl,
          row.id,
        ),
      );
    }),

    handle(GetConnectionMedia, async ({ userId, connectionId, file }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      if (!parseMediaFileName(file)) throw notFound('Invalid filename');
      const media = await askOwner(broker, row.id, 'media', { file }, 30_000);
      if (!media) throw workerBooting();
      return media;
    }),

    handle(GetContactPicture, async ({ userId, connectionId, contactId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      if (!/^[0-9]{5,20}(@c\.us|@s\.whatsapp\.net)?$/.test(contactId)) throw badRequest('Invalid contact id');
      const id = contactId.includes('@') ? contactId : `${contactId}@c.us`;
      const answer = await askOwner(broker, row.id, 'picture', { contactId: id });
      return answer ?? { profilePictureUrl: null };
    }),
  ];
}
