/**
 * Abuse limits of the connection API (issue 10): connections per user when billing is off, and a per-user bound
 * on concurrent slow commands so that one tenant cannot occupy every handler slot of a replica.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import {
  AppError,
  CreateConnection,
  DeleteConnection,
  GetOrCreateConnection,
  ListConnections,
} from '@wahooks/contracts';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { ConnectionEnv } from '../src/config.js';
import { startConnectionService, type ConnectionService } from '../src/service.js';
import { logger } from './support/emulated.js';

let env: TestEnv;
let service: ConnectionService;
let client: Broker; // plays the gateway

const outcome = (p: Promise<unknown>): Promise<number | string> =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof AppError ? err.statusCode : String(err)),
  );

beforeAll(async () => {
  env = await createTestEnv('conn_abuse_limits');
  const config = parseConfig(ConnectionEnv, {
    ...env.serviceEnv, // BILLING_GATE=off
    // Nothing answers here: sessions never show a QR, so get-or-create waits for all of qrWait.
    WA_WEBSOCKET_URL: 'ws://127.0.0.1:1/ws/chat',
    WA_LOG_LEVEL: 'silent',
    MAX_CONNECTIONS_PER_USER: '3',
    SLOW_COMMANDS_PER_USER: '4',
  });
  service = await startConnectionService(config, { logger, qrWait: { attempts: 24, intervalMs: 250 } });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await service?.stop();
  await env?.cleanup();
});

describe('connections per user (billing off)', () => {
  it('MAX_CONNECTIONS_PER_USER concurrent creates succeed, the rest are 403 with a clear message', async () => {
    const user = randomUUID();
    const creates = Array.from({ length: 6 }, (_, i) =>
      client.request(CreateConnection, { userId: user, name: `c${i}` }),
    );
    const results = await Promise.all(creates.map(outcome));
    expect(results.filter((r) => r === 'ok')).toHaveLength(3);
    expect(results.filter((r) => r === 403)).toHaveLength(3);
    const refused = await client
      .request(CreateConnection, { userId: user, name: 'one more' })
      .catch((e: AppError) => e);
    expect((refused as AppError).message).toBe(
      'Connection limit reached: at most 3 connections per user; delete one first',
    );
    // a deleted (stopped) connection frees its place
    const [first] = await client.request(ListConnections, { userId: user });
    await client.request(DeleteConnection, { userId: user, connectionId: first!.id });
    expect(await outcome(client.request(CreateConnection, { userId: user, name: 'again' }))).toBe('ok');
    // another user is not affected
    expect(await outcome(client.request(CreateConnection, { userId: randomUUID(), name: null }))).toBe('ok');
  });
});

describe('slow commands per user', () => {
  it("one user's burst of get-or-create (each waits 6 s for a QR) leaves handlers for everyone else", async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    await client.request(CreateConnection, { userId: alice, name: null }); // each get-or-create reuses it
    const burst = Array.from({ length: 40 }, () =>
      outcome(client.request(GetOrCreateConnection, { userId: alice }, { timeoutMs: 30_000 })),
    );
    await new Promise((r) => setTimeout(r, 500)); // the burst is on the replica
    // Bob's plain read is answered at once, not after the burst's 6 s waits
    const bobs = await outcome(client.request(ListConnections, { userId: bob }, { timeoutMs: 3000 }));
    expect(bobs).toBe('ok');
    const results = await Promise.all(burst);
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(results.filter((r) => r === 429)).toHaveLength(36);
    // nothing in progress any more: the next one runs (and waits its 6 s) instead of a 429
    expect(await outcome(client.request(GetOrCreateConnection, { userId: alice }, { timeoutMs: 15_000 }))).toBe('ok');
  }, 60_000);
});
