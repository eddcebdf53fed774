/**
 * Token lifecycle over HTTP through the real gateway and token service (RabbitMQ + Postgres), with both auth
 * kinds: Supabase JWTs (RS256/ES256 via JWKS, HS256 via secret) and the wh_ tokens they mint.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { call, JWT_SECRET, signHs256, startStack, waitFor, type Stack } from './support.js';

let stack: Stack;
let base: string;
const alice = randomUUID();
const bob = randomUUID();
let aliceJwt: string;
let bobJwt: string;

beforeAll(async () => {
  stack = await startStack('e2e_tokens');
  base = stack.gateways[0]!.url;
  aliceJwt = await stack.jwks.sign({ sub: alice, email: 'alice@example.com' }, { alg: 'RS256' });
  bobJwt = await stack.jwks.sign({ sub: bob, email: 'bob@example.com' }, { alg: 'ES256' });
});

afterAll(async () => {
  await stack?.close();
});

describe('token lifecycle', () => {
  let first: { id: string; token: string; tokenPrefix: string; name: string; createdAt: string };

  it('a JWT user exists after first use: GET /api/me', async () => {
    const r = await call(base, 'GET', '/api/me', { token: aliceJwt });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: alice, email: 'alice@example.com', isAdmin: false });
  });

  it('POST /api/tokens with a JWT → 201 with the raw token once', async () => {
    const r = await call(base, 'POST', '/api/tokens', { token: aliceJwt, body: { name: 'ci' } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(String),
      name: 'ci',
      token: expect.stringMatching(/^wh_[0-9a-f]{48}$/),
      tokenPrefix: `${r.body.token.slice(0, 10)}...`,
      createdAt: expect.any(String),
    });
    first = r.body;
  });

  it('400 name is required', async () => {
    const r = await call(base, 'POST', '/api/tokens', { token: aliceJwt, body: { name: '  ' } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'name is required' });
  });

  // A NUL anywhere in a body is refused by the gateway before any service sees it (Postgres cannot store it);
  // other control characters reach the token service's own rule.
  it.each([
    ['\u0000', 'body must not contain NUL (\\u0000) characters'],
    ['ci\u0000', 'body must not contain NUL (\\u0000) characters'],
    ['a\u001fb', 'name must not contain control characters'],
  ])('400 for a name %j with control characters (never a 500 from Postgres)', async (name, message) => {
    const r = await call(base, 'POST', '/api/tokens', { token: aliceJwt, body: { name } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
  });

  it('the wh_ token authenticates as its owner; listing never shows raw tokens; lastUsedAt gets set', async () => {
    const me = await call(base, 'GET', '/api/me', { token: first.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(alice);
    // a token can mint another token
    const second = await call(base, 'POST', '/api/tokens', { token: first.token, body: { name: 'deploy' } });
    expect(second.status).toBe(201);
    const list = await call(base, 'GET', '/api/tokens', { token: first.token });
    expect(list.status).toBe(200);
    expect(list.body.map((t: { name: string }) => t.name).sort()).toEqual(['ci', 'deploy']);
    for (const t of list.body) {
      expect(Object.keys(t).sort()).toEqual(['active', 'createdAt', 'id', 'lastUsedAt', 'name', 'tokenPrefix']);
      expect(t.active).toBe(true);
    }
    await waitFor(
      async () => {
        const l = await call(base, 'GET', '/api/tokens', { token: aliceJwt });
        return l.body.find((t: { id: string }) => t.id === first.id)?.lastUsedAt !== null;
      },
      5000,
      200,
    );
  });

  it('HS256 (legacy secret) JWTs work for the same user', async () => {
    const legacy = await signHs256({ sub: alice, email: 'alice@example.com' }, JWT_SECRET);
    const r = await call(base, 'GET', '/api/tokens', { token: legacy });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(2);
  });

  it("someone else's token → 403, an unknown one → 404", async () => {
    const foreign = await call(base, 'DELETE', `/api/tokens/${first.id}`, { token: bobJwt });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'You do not own this token' });
    const missing = await call(base, 'DELETE', `/api/tokens/${randomUUID()}`, { token: aliceJwt });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('Token not found');
    const garbage = await call(base, 'DELETE', '/api/tokens/not-a-uuid', { token: aliceJwt });
    expect(garbage.status).toBe(404);
  });

  it('revoked token → 401 Invalid or revoked API token at once, and gone from the list', async () => {
    const warm = await call(base, 'GET', '/api/tokens', { token: first.token });
    expect(warm.status).toBe(200); // cached in the gateway now
    const del = await call(base, 'DELETE', `/api/tokens/${first.id}`, { token: aliceJwt });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    await waitFor(async () => (await call(base, 'GET', '/api/tokens', { token: first.token })).status === 401, 1000);
    const r = await call(base, 'GET', '/api/tokens', { token: first.token });
    expect(r.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid or revoked API token' });
    const list = await call(base, 'GET', '/api/tokens', { token: aliceJwt });
    expect(list.body.map((t: { name: string }) => t.name)).toEqual(['deploy']);
  });
});

describe('revocation across gateway replicas', () => {
  it('a token cached (for 10 min) by a second gateway is refused there within seconds of the revoke on the first', async () => {
    const other = await stack.startGateway({ AUTH_CACHE_TTL_MS: '600000' });
    const created = await call(base, 'POST', '/api/tokens', { token: bobJwt, body: { name: 'replicated' } });
    const raw = created.body.token as string;
    expect((await call(other.url, 'GET', '/api/tokens', { token: raw })).status).toBe(200);
    expect((await call(base, 'GET', '/api/tokens', { token: raw })).status).toBe(200);

    const del = await call(base, 'DELETE', `/api/tokens/${created.body.id}`, { token: bobJwt });
    expect(del.status).toBe(200);
    const revokedAt = Date.now();
    await waitFor(async () => (await call(other.url, 'GET', '/api/tokens', { token: raw })).status === 401, 5000, 20);
    expect(Date.now() - revokedAt).toBeLessThan(5000); // the revocation reached it; its cache would keep the token 10 min
  });
});

describe('lastUsedAt', () => {
  it('a second use answered from the gateway auth cache still moves lastUsedAt forward', async () => {
    const carolJwt = await stack.jwks.sign({ sub: randomUUID(), email: 'carol@example.com' }, { alg: 'RS256' });
    const created = await call(base, 'POST', '/api/tokens', { token: carolJwt, body: { name: 'cached-use' } });
    expect(created.status).toBe(201);
    const lastUsedAt = async (): Promise<number | undefined> => {
      const l = await call(base, 'GET', '/api/tokens', { token: carolJwt }); // a JWT: never touches the token
      const at = l.body.find((t: { id: string }) => t.id === created.body.id)?.lastUsedAt as string | null;
      return at ? Date.parse(at) : undefined;
    };

    // First use: a cache miss, verified by the token service over RPC, which marks it.
    expect((await call(base, 'GET', '/api/me', { token: created.body.token })).status).toBe(200);
    await waitFor(async () => (await lastUsedAt()) !== undefined, 5000, 100);
    const first = (await lastUsedAt())!;

    // Second use, well within AUTH_CACHE_TTL_MS (30 s): answered from the gateway cache, no RPC.
    await new Promise((r) => setTimeout(r, 300));
    const secondUse = Date.now();
    expect((await call(base, 'GET', '/api/me', { token: created.body.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500)); // one gateway report (~1 s) + one token-service write (100 ms)
    let latest = await lastUsedAt();
    if (latest! < secondUse) {
      await waitFor(async () => ((latest = await lastUsedAt()) ?? 0) >= secondUse, 3000, 100);
    }
    expect(latest).toBeGreaterThan(first);
    expect(latest).toBeGreaterThanOrEqual(secondUse);
  });
});
