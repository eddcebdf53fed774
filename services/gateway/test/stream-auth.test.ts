/**
 * `/api/ws` handshakes against the real token service and a local JWKS server: every close code, the JWT signature
 * checked (the original only decoded it), a revoked token's open socket closed, a malformed query refused, and a
 * stopping gateway's sockets closed with 1012.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { Broker } from '@wahooks/broker';
import type { TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { startJwksServer, signHs256, type JwksServer } from './jwks-server.js';
import { startStreamStack, type StreamStack } from './stream-stack.js';
import { admittedStream, closeOf, publishWhatsAppEvent } from './stream-support.js';
import { call, newToken, startTestGateway, type TokenServiceProcess } from './support.js';

const SECRET = 'stream-auth-secret-with-at-least-32-characters';
let env: TestEnv;
let jwks: JwksServer;
let gw: Gateway;
let tokenService: TokenServiceProcess;
let publisher: Broker;
let stack: StreamStack;

beforeAll(async () => {
  jwks = await startJwksServer();
  stack = await startStreamStack('gateway_stream_auth', [{ SUPABASE_JWKS_URL: jwks.url, SUPABASE_JWT_SECRET: SECRET }]);
  ({ env, tokenService, publisher } = stack);
  [gw] = stack.gateways as [Gateway];
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await jwks?.close();
});

/** Admitted: counted by the gateway, and an event of its user published now arrives. */
async function expectAdmitted(query: Record<string, string>, userId: string) {
  const client = await admittedStream(gw, query);
  const connectionId = randomUUID();
  await publishWhatsAppEvent(publisher, { userId, connectionId });
  const [m] = await client.received(1);
  expect(m).toMatchObject({ event: 'message', connectionId });
  return client;
}

describe('close codes of a refused handshake', () => {
  it('4001 Missing token: no token, or an empty one', async () => {
    expect(await closeOf(gw.url, {})).toEqual({ code: 4001, reason: 'Missing token' });
    expect(await closeOf(gw.url, { token: '' })).toEqual({ code: 4001, reason: 'Missing token' });
  });

  it('4003 Invalid token: a wh_ token nobody issued', async () => {
    expect(await closeOf(gw.url, { token: newToken() })).toEqual({ code: 4003, reason: 'Invalid token' });
  });

  it('4003 Invalid token: a JWT signed with a key that is not in the JWKS (the original accepted it)', async () => {
    const token = await jwks.sign({ sub: randomUUID() }, { foreignKey: true });
    expect(await closeOf(gw.url, { token })).toEqual({ code: 4003, reason: 'Invalid token' });
  });

  it('4003 Invalid token: an HS256 JWT with the wrong secret, and a JWT that is not one at all', async () => {
    const token = await signHs256({ sub: randomUUID() }, `${SECRET}-not`);
    expect(await closeOf(gw.url, { token })).toEqual({ code: 4003, reason: 'Invalid token' });
    expect(await closeOf(gw.url, { token: 'abc.def.ghi' })).toEqual({ code: 4003, reason: 'Invalid token' });
  });

  it('4003 Invalid token: an expired JWT', async () => {
    const token = await jwks.sign({ sub: randomUUID() }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect(await closeOf(gw.url, { token })).toEqual({ code: 4003, reason: 'Invalid token' });
  });

  it('4000 Authentication failed: the token service does not answer', async () => {
    // A gateway on a namespace where no token service runs: the verification is unroutable (503).
    const alone = await startTestGateway({
      ...env,
      serviceEnv: { ...env.serviceEnv, BROKER_NAMESPACE: `${env.namespace}x_` },
    });
    try {
      expect(await closeOf(alone.url, { token: newToken() })).toEqual({ code: 4000, reason: 'Authentication failed' });
    } finally {
      await alone.stop(100);
    }
  });

  it('4000 when the connection service does not answer the ownership check of a connectionId', async () => {
    // No connection service in this package's tests (e2e/test/stream.test.ts checks ownership against the real one).
    const { token } = await tokenService.mint(randomUUID());
    expect(await closeOf(gw.url, { token, connectionId: randomUUID() })).toEqual({
      code: 4000,
      reason: 'Authentication failed',
    });
  });

  it('4400 for a malformed query, the reason naming the problem', async () => {
    const { token } = await tokenService.mint(randomUUID());
    expect(await closeOf(gw.url, { token, connectionId: 'nope' })).toEqual({
      code: 4400,
      reason: 'Invalid connectionId: nope',
    });
    expect(await closeOf(gw.url, { token, events: 'message,bogus' })).toEqual({
      code: 4400,
      reason: 'unknown event name(s): bogus',
    });
    expect(await closeOf(gw.url, { token, after: '12345' })).toEqual({
      code: 4400,
      reason: 'Invalid after: expected an event id (evt_…)',
    });
  });

  it('another path is not upgraded: a JSON 404', async () => {
    const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/api/wss?token=x`);
    ws.on('error', () => undefined);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      ws.once('unexpected-response', (_req, r) => resolve(r));
      ws.once('open', () => reject(new Error('upgraded')));
    });
    expect(res.statusCode).toBe(404);
    const body = await new Promise<string>((resolve) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    expect(JSON.parse(body)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/wss' });
  });
});

describe('admitted sockets', () => {
  it('a wh_ token, an RS256 JWT and an HS256 JWT are accepted (the JWT user row is upserted, as REST)', async () => {
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    await (await expectAdmitted({ token }, userId)).close();

    const sub = randomUUID();
    await (await expectAdmitted({ token: await jwks.sign({ sub, email: 'ws@example.com' }) }, sub)).close();
    const me = await call(gw.url, 'GET', '/api/me', { token: await jwks.sign({ sub }) });
    expect(me.body).toMatchObject({ id: sub, email: 'ws@example.com' });

    const legacy = randomUUID();
    await (await expectAdmitted({ token: await signHs256({ sub: legacy }, SECRET) }, legacy)).close();
  });

  it("a revoked token's open socket is closed with 4003 at once; the user's other sockets stay", async () => {
    const userId = randomUUID();
    const revoked = await tokenService.mint(userId, { tokenName: 'to-revoke' });
    const kept = await tokenService.mint(userId, { tokenName: 'kept' });
    const a = await expectAdmitted({ token: revoked.token }, userId);
    const b = await expectAdmitted({ token: kept.token }, userId);

    const t0 = Date.now();
    const r = await call(gw.url, 'DELETE', `/api/tokens/${revoked.tokenId}`, { token: kept.token });
    expect(r.status).toBe(200);
    expect(await a.closed).toEqual({ code: 4003, reason: 'Invalid token' });
    // Required within a second; asserted with room for a loaded CI machine.
    expect(Date.now() - t0).toBeLessThan(3000);

    const before = b.messages.length;
    await publishWhatsAppEvent(publisher, { userId, connectionId: randomUUID() });
    await b.received(before + 1);
    expect(await closeOf(gw.url, { token: revoked.token })).toEqual({ code: 4003, reason: 'Invalid token' });
    await b.close();
  });

  it('a JWT socket is closed with 4003 when the JWT expires', async () => {
    const sub = randomUUID();
    const token = await jwks.sign({ sub }, { expiresIn: Math.floor(Date.now() / 1000) + 3 });
    const client = await expectAdmitted({ token }, sub);
    expect(await client.closed).toEqual({ code: 4003, reason: 'Invalid token' });
  });

  it('a stopping gateway closes its sockets with 1012 (clients reconnect elsewhere)', async () => {
    const other = await startTestGateway(env);
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    const client = await admittedStream(other, { token });
    await other.stop(100);
    expect(await client.closed).toEqual({ code: 1012, reason: 'Service restart' });
  });
});
