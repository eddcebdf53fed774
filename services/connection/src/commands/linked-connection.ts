/**
 * The checks every session-owned parity command (pairing, number checks, groups) makes before asking the holder:
 * the caller owns the connection (400/404/403), it is not stopped, and, for what needs a linked number, it is
 * linked (409). Then the holder answers, or nobody holds the session right now (503 + Retry-After).
 */
import { AppError, notFound, type ReplyOf } from '@wahooks/contracts';
import type { Broker } from '@wahooks/broker';
import type { Sql } from '@wahooks/db';
import { ownedConnection, type ConnectionRow } from '../connections/connections-repo.js';
import {
  askOwner,
  SessionCommands,
  workerBooting,
  type SessionArgs,
  type SessionCommandName,
} from './session-client.js';

/** The caller's connection, not stopped. */
export async function liveConnection(sql: Sql, userId: string, connectionId: string): Promise<ConnectionRow> {
  const row = await ownedConnection(sql, userId, connectionId);
  if (row.status === 'stopped') throw notFound('Connection not found');
  return row;
}

/** The caller's connection, linked to WhatsApp (409 otherwise, saying how to link it). */
export async function linkedConnection(sql: Sql, userId: string, connectionId: string): Promise<ConnectionRow> {
  const row = await liveConnection(sql, userId, connectionId);
  if (row.status !== 'working')
    throw new AppError(
      409,
      `Connection is not linked to WhatsApp (status: ${row.status}): scan its QR code (GET /api/connections/${row.id}/qr) or request a pairing code first`,
    );
  return row;
}

/** The holder's answer; 503 + Retry-After when no replica holds the session (yet). */
export async function askHolder<K extends SessionCommandName>(
  broker: Broker,
  connectionId: string,
  name: K,
  args: SessionArgs<K>,
  timeoutMs = 15_000,
): Promise<ReplyOf<(typeof SessionCommands)[K]>> {
  const answer = await (askOwner as (...a: unknown[]) => Promise<ReplyOf<(typeof SessionCommands)[K]> | undefined>)(
    broker,
    connectionId,
    name,
    args,
    timeoutMs,
  );
  if (answer === undefined) throw workerBooting();
  return answer;
}
