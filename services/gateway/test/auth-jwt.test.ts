/**
 * Supabase JWTs against a local JWKS server: RS256/ES256 via JWKS, HS256 via the legacy
 * secret, every 401 message, and the users upsert on first use.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { createTestTracing, type TestTracing } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { startJwksServer, signHs256, type JwksServer } from './jwks-server.js';
import { call, requestsSent, startTestGateway, startTokenService, type TokenServiceProcess } from './support.js';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
let env: TestEnv;
let jwks: JwksServer;
let gw: Gateway;
let unreachable: Gateway;
let tokenService: TokenServiceProcess;
let tracing: TestTracing;

beforeAll(async () => {
  tracing = createTestTracing();
  env = await createTestEnv('gateway_jwt');
  jwks = await startJwksServer();
  tokenService = await startTokenService(env);
  gw = await startTestGateway(env, { SUPABASE_JWKS_URL: jwks.url, SUPABASE_JWT_SECRET: SECRET });
  // Nothing listens on port 9 (discard): the JWKS cannot be fetched.
  unreachable = await startTestGateway(env, { SUPABASE_URL: 'http://127.0.0.1:9', JWKS_TIMEOUT_MS: '500' });
}, 60_000);

afterAll(async () => {
  await Promise.all([gw?.stop(100), unreachable?.stop(100)]);
  await tokenService?.stop();
  await jwks?.close();
  await env?.cleanup();
  await tracing?.shutdown();
});

const me = (base: string, token: string) => call(base, 'GET', '/api/me', { token });
const expect401 = async (base: string, token: string, message: string) => {
  const r = await me(base, token);
  expect(r.body).toEqual({ statusCode: 401, error: 'Unauthorized', message });
  expect(r.status).toBe(401);
};

describe('valid Supabase JWTs', () => {
  it.each(['RS256', 'ES256'] as const)('%s through the JWKS; first use upserts the user once', async (alg) => {
    const sub = randomUUID();
    const token = await jwks.sign({ sub, email: `${alg}@example.com`, role: 'authenticated' }, { alg });
    const upserts = requestsSent(tracing, 'token.user.upsert');
    const a = await me(gw.url, token);
    expect(a.status).toBe(200);
    // the users row the upsert wrote, read back by the token service
    expect(a.body).toEqual({ id: sub, email: `${alg}@example.com`, name: null, isAdmin: false });
    expect((await call(gw.url, 'GET', '/api/tokens', { token })).status).toBe(200);
    expect(requestsSent(tracing, 'token.user.upsert') - upserts).toBe(1);
  });

  it('HS256 with SUPABASE_JWT_SECRET (legacy projects)', async () => {
    const sub = randomUUID();
    const r = await me(gw.url, await signHs256({ sub, email: 'legacy@example.com' }, SECRET));
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(sub);
  });

  it('the JWKS is fetched once and cached', async () => {
    const before = jwks.requests;
    for (let i = 0; i < 3; i++) expect((await me(gw.url, await jwks.sign({ sub: randomUUID() }))).status).toBe(200);
    expect(jwks.requests - before).toBe(0);
  });
});

describe('every 401 message of docs/api.md', () => {
  it('Invalid token format: not a JWT at all', async () => {
    await expect401(gw.url, 'not-a-jwt', 'Invalid token format');
    await expect401(gw.url, 'abc.def.ghi', 'Invalid token format');
  });

  it('Token missing key ID (kid)', async () => {
    await expect401(gw.url, await jwks.sign({ sub: randomUUID() }, { kid: null }), 'Token missing key ID (kid)');
    // HS256 without a configured secret is treated like the original: no kid
    await expect401(unreachable.url, await signHs256({ sub: randomUUID() }, SECRET), 'Token missing key ID (kid)');
  });

  it('Unable to verify token signing key: JWKS unreachable, or no key with that kid', async () => {
    await expect401(unreachable.url, await jwks.sign({ sub: randomUUID() }), 'Unable to verify token signing key');
    await expect401(
      gw.url,
      await jwks.sign({ sub: randomUUID() }, { kid: 'rotated-away' }),
      'Unable to verify token signing key',
    );
  });

  it('Token has expired', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    await expect401(gw.url, await jwks.sign({ sub: randomUUID() }, { expiresIn: past }), 'Token has expired');
    await expect401(gw.url, await signHs256({ sub: randomUUID() }, SECRET, past), 'Token has expired');
  });

  it('Invalid token signature', async () => {
    await expect401(gw.url, await jwks.sign({ sub: randomUUID() }, { foreignKey: true }), 'Invalid token signature');
    await expect401(
      gw.url,
      await jwks.sign({ sub: randomUUID() }, { alg: 'ES256', foreignKey: true }),
      'Invalid token signature',
    );
    await expect401(
      gw.url,
      await signHs256({ sub: randomUUID() }, 'another-secret-another-secret-another-secret'),
      'Invalid token signature',
    );
  });

  it('Token verification failed: disallowed algorithm, not yet valid, subject not a user id', async () => {
    const { privateKey } = await generateKeyPair('RS384');
    const rs384 = await new SignJWT({ sub: randomUUID() })
      .setProtectedHeader({ alg: 'RS384', kid: 'kid-RS256' })
      .sign(privateKey);
    await expect401(gw.url, rs384, 'Token verification failed');
    const future = await jwks.sign({ sub: randomUUID(), nbf: Math.floor(Date.now() / 1000) + 3600 });
    await expect401(gw.url, future, 'Token verification failed');
    await expect401(gw.url, await jwks.sign({ sub: 'not-a-uuid' }), 'Token verification failed');
  });
});
