/**
 * token.token.revoked goes through the outbox: a revoke committed by a process that died before publishing is
 * published by the next service that starts, with the payload the gateways need; and the event row of a
 * revoke answered with success is marked sent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { RevokeToken, TokenRevoked, type PayloadOf } from '@wahooks/contracts';
import { closeDatabase, openDatabase, sqlOf } from '@wahooks/db';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { TokensRepo } from '../src/adapters/tokens-repo.js';
import { UsersRepo } from '../src/adapters/users-repo.js';
import { TokenConfigSchema } from '../src/config.js';
import { tokenMigrations } from '../src/migrations/index.js';
import { startTokenService, type TokenService } from '../src/service.js';
import { waitFor } from './harness.js';

const logger = createLogger('test', 'silent');
let env: TestEnv;
let client: Broker;
let service: TokenService | undefined;
const revoked: PayloadOf<typeof TokenRevoked>[] = [];

beforeAll(async () => {
  env = await createTestEnv('token_revoke_outbox');
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  await client.subscribe('revoke-outbox-test', [on(TokenRevoked, async (p) => void revoked.push(p))]);
});
afterAll(async () => {
  await service?.stop();
  await client?.close();
  await env?.cleanup();
});

describe('token.token.revoked through the outbox', () => {
  it('a revoke whose process died before publishing is published by the next start, once', async () => {
    // The state a crash right after the revoke's commit leaves: the token inactive, its event unsent.
    const db = await openDatabase({ url: env.databaseUrl, schema: 'token', migrations: tokenMigrations });
    const userId = randomUUID();
    let token: { id: string; userId: string; tokenHash: string };
    try {
      const sql = sqlOf(db);
      await new UsersRepo(sql).ensureExists(userId);
      const row = await new TokensRepo(sql).insert({
        userId,
        name: 'n',
        tokenHash: 'f'.repeat(64),
        tokenPrefix: 'wh_f',
      });
      token = { id: row.id, userId, tokenHash: 'f'.repeat(64) };
      await new TokensRepo(sql).revoke(token);
      expect(await sql.query('SELECT event_type FROM outbox WHERE sent_at IS NULL')).toEqual([
        { event_type: TokenRevoked.type },
      ]);
    } finally {
      await closeDatabase(db);
    }
    expect(revoked).toEqual([]);

    service = await startTokenService(parseConfig(TokenConfigSchema, env.serviceEnv), { logger });
    await waitFor(async () => (revoked.length > 0 ? true : undefined), 10_000);
    expect(revoked).toEqual([{ tokenId: token.id, userId, tokenHash: token.tokenHash }]);

    // A revoke answered now: its event is out (and marked) before the answer.
    expect(await client.request(RevokeToken, { userId, tokenId: token.id })).toEqual({ success: true });
    await waitFor(async () => (revoked.length === 2 ? true : undefined), 10_000); // told again on a repeat
    const check = await openDatabase({ url: env.databaseUrl, schema: 'token' });
    try {
      expect(await sqlOf(check).query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).toEqual([
        { n: 0 },
      ]);
    } finally {
      await closeDatabase(check);
    }
  });
});
