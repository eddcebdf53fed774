/**
 * Failure paths across services: the token service's broker connection killed from the RabbitMQ side (it
 * heals, the next request succeeds), health 200 → 503 when the token service stops, RPC to a stopped
 * service → 503 within the deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { connectionName } from '@wahooks/broker';
import { call, killConnection, startStack, waitFor, type Stack } from './support.js';

let stack: Stack;
let base: string;
const user = randomUUID();
let jwt: string;

beforeAll(async () => {
  stack = await startStack('e2e_resilience', {
    RPC_TIMEOUT_MS: '1500',
    HEALTH_TIMEOUT_MS: '750',
    AUTH_CACHE_TTL_MS: '0',
  });
  base = stack.gateways[0]!.url;
  jwt = await stack.jwks.sign({ sub: user });
});

afterAll(async () => {
  await stack?.close();
});

describe('resilience', () => {
  it('health is 200 with the token service answering its ping', async () => {
    const r = await call(base, 'GET', '/api/health', { token: jwt }); // instances are shown to callers with a token
    expect(r.status).toBe(200);
    expect(r.body.checks.services.token).toMatchObject({ status: 'ok', instance: expect.any(String) });
  });

  it("the token service's connection killed from the broker side: it heals and the next request succeeds", async () => {
    // A gateway with a generous deadline: the next request may have to wait out the reconnect, but must succeed.
    const patient = await stack.startGateway({ RPC_TIMEOUT_MS: '15000' });
    const created = await call(patient.url, 'POST', '/api/tokens', { token: jwt, body: { name: 'before-kill' } });
    expect(created.status).toBe(201);
    const killed = await killConnection(connectionName('token', `${hostname()}:${process.pid}`, stack.env.namespace));
    expect(killed).toBe(1);
    // wh_ auth (VerifyToken, cache disabled) and the list both need the token service
    const r = await call(patient.url, 'GET', '/api/tokens', { token: created.body.token });
    expect(r.status).toBe(200);
    expect(r.body.map((t: { name: string }) => t.name)).toEqual(['before-kill']);
  });

  it("the gateways' own connections killed: they heal, and revocations still reach their auth caches", async () => {
    const caching = await stack.startGateway({ AUTH_CACHE_TTL_MS: '600000' });
    // Every gateway of this file runs in this process, so they share the connection name.
    const killed = await killConnection(connectionName('gateway', `${hostname()}:${process.pid}`, stack.env.namespace));
    expect(killed).toBe(stack.gateways.length);
    for (const g of stack.gateways)
      await waitFor(async () => (await call(g.url, 'GET', '/api/tokens', { token: jwt })).status === 200, 10_000, 100);

    const created = await call(caching.url, 'POST', '/api/tokens', { token: jwt, body: { name: 'after-kill' } });
    expect((await call(caching.url, 'GET', '/api/tokens', { token: created.body.token })).status).toBe(200); // cached
    expect((await call(base, 'DELETE', `/api/tokens/${created.body.id}`, { token: jwt })).status).toBe(200);
    await waitFor(
      async () => (await call(caching.url, 'GET', '/api/tokens', { token: created.body.token })).status === 401,
      1000,
      20,
    );
  });

  it('token service stopped: RPC → 503 within the deadline, health → 503', async () => {
    await stack.token.stop();
    const t0 = Date.now();
    const r = await call(base, 'GET', '/api/tokens', { token: jwt });
    const took = Date.now() - t0;
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(took).toBeLessThan(3000);
    const h = await call(base, 'GET', '/api/health', { token: jwt }); // fresh: anonymous answers are cached ~1 s
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('degraded');
    expect(h.body.checks.services.token.status).toBe('error');
    expect(h.body.checks.database.status).toBe('ok');
  });

  it('a new token service replica picks up where the old one left off', async () => {
    await stack.startToken();
    await waitFor(async () => (await call(base, 'GET', '/api/health')).status === 200, 10_000, 200);
    expect((await call(base, 'GET', '/api/tokens', { token: jwt })).status).toBe(200);
  });
});
