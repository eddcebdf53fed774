/** A WhatsAppSession against the offline emulator, on a real Postgres, with what the tests observe. */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { MEDIA_TLS_CERT_PEM, type Emulator } from '@wahooks/wa-emulator';
import { createLogger } from '@wahooks/telemetry';
import type { Sql } from '@wahooks/db';
import { WhatsAppSession, type SessionConfig } from '../../src/sessions/whatsapp-session.js';

export const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

export function sessionConfig(emulator: Emulator, extra: Partial<SessionConfig> = {}): SessionConfig {
  return {
    waWebSocketUrl: emulator.url,
    engineVersion: 'test',
    fetchAgent: new Agent({ ca: MEDIA_TLS_CERT_PEM }),
    // inbound media from the emulator's https media host, trusted like the service does with WA_SERVER_ROOT_KEY
    mediaDownload: {
      hosts: [new URL(emulator.url).hostname],
      connectTimeoutMs: 5000,
      timeoutMs: 15_000,
      agent: new Agent({ ca: MEDIA_TLS_CERT_PEM }),
    },
    connectTimeoutMs: 10_000,
    backoff: { baseMs: 100, maxMs: 500 },
    baileysLogLevel: process.env.BAILEYS_LOG ?? 'silent',
    ...extra,
  };
}

export async function insertConnection(
  sql: Sql,
  userId = randomUUID(),
): Promise<{ id: string; userId: string; sessionName: string }> {
  const id = randomUUID();
  const sessionName = `u_${userId.replace(/-/g, '').slice(0, 12)}_s_${id.replace(/-/g, '').slice(0, 12)}`;
  await sql.query('INSERT INTO connection.connections (id, user_id, session_name) VALUES ($1, $2, $3)', [
    id,
    userId,
    sessionName,
  ]);
  return { id, userId, sessionName };
}

/** Every session a test created, so afterAll can stop them even when a test failed half-way. */
export const allSessions: WhatsAppSession[] = [];

export interface Observed {
  session: WhatsAppSession;
  closes: (number | undefined)[];
}

export function newSession(
  sql: Sql,
  emulator: Emulator,
  connection: { id: string; userId: string; sessionName: string },
  fencingToken?: number,
  extra: Partial<SessionConfig> = {},
): Observed {
  const closes: (number | undefined)[] = [];
  const session = new WhatsAppSession({
    sql,
    connection,
    fencingToken,
    config: sessionConfig(emulator, extra),
    logger,
    onSocketClosed: (code) => closes.push(code),
  });
  allSessions.push(session);
  return { session, closes };
}

export async function waitFor<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function outboxEvents(
  sql: Sql,
  connectionId: string,
): Promise<{ event: string; payload: any; id: string }[]> {
  const rows = await sql.query<{ body: string }>(
    'SELECT body FROM connection.outbox WHERE connection_id = $1 ORDER BY seq',
    [connectionId],
  );
  return rows.map((r) => JSON.parse(r.body));
}

export async function statusOf(
  sql: Sql,
  connectionId: string,
): Promise<{ status: string; phone_number: string | null; status_reason: string | null }> {
  const [row] = await sql.query<{ status: string; phone_number: string | null; status_reason: string | null }>(
    'SELECT status, phone_number, status_reason FROM connection.connections WHERE id = $1',
    [connectionId],
  );
  return row!;
}
