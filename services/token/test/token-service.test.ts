import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { on } from '@wahooks/broker';
import {
  CreateToken,
  GetMe,
  ListTokens,
  RevokeToken,
  TokenRevoked,
  TokensUsed,
  UpsertUser,
  VerifyToken,
  type PayloadOf,
} from '@wahooks/contracts';
import { hashToken } from '../src/domain/token-format.js';
import { rejection, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
const revoked: PayloadOf<typeof TokenRevoked>[] = [];

beforeAll(async () => {
  h = await startHarness('token-svc', { TOKEN_LAST_USED_FLUSH_MS: '100' });
  await h.client.subscribe('token-test-revoked', [on(TokenRevoked, async (p) => void revoked.push(p))], {
    exclusive: true,
  });
});
afterAll(async () => {
  await h?.close();
});

const create = (userId: string, name = 'my token') => h.client.request(CreateToken, { userId, name });

describe('create', () => {
  it('returns the raw token once, stores only its sha256, and upserts the user', async () => {
    const userId = randomUUID();
    const created = await create(userId, 'ci');
    expect(created).toEqual({
      id: expect.any(String),
      name: 'ci',
      token: expect.stringMatching(/^wh_[0-9a-f]{48}$/),
      tokenPrefix: created.token.slice(0, 10) + '...',
      createdAt: expect.any(String),
    });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);

    const { rows } = await h.db.query('SELECT * FROM token.api_tokens WHERE id = $1', [created.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(hashToken(created.token));
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(3)); // not even without the wh_

    const users = await h.db.query('SELECT id FROM token.users WHERE id = $1', [userId]);
    expect(users.rows).toHaveLength(1);
  });

  it('trims the name', async () => {
    expect((await create(randomUUID(), '  spaced  ')).name).toBe('spaced');
  });

  it.each([
    ['missing', { userId: randomUUID() }],
    ['empty', { userId: randomUUID(), name: '' }],
    ['blank', { userId: randomUUID(), name: '   ' }],
  ])('400 name is required when the name is %s', async (_case, body) => {
    const err = await rejection(h.client.request(CreateToken, body as never));
    expect(err.body ?? err).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.stringify(err.body.message)).toContain('name is required');
  });

  it.each([
    ['a NUL byte', '\u0000'],
    ['a NUL byte inside', 'ci\u0000deploy'],
    ['an escape', 'a\u001bb'],
    ['DEL', 'x\u007f'],
    ['a newline inside', 'two\nlines'],
  ])('400 name must not contain control characters for %s', async (_case, name) => {
    const err = await rejection(h.client.request(CreateToken, { userId: randomUUID(), name }));
    expect(err.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'name must not contain control characters',
    });
  });
});

describe('list', () => {
  it('returns active tokens only, newest first, without secrets', async () => {
    const userId = randomUUID();
    const a = await create(userId, 'a');
    const b = await create(userId, 'b');
    const c = await create(userId, 'c');
    await create(randomUUID(), 'someone else');
    await h.client.request(RevokeToken, { userId, tokenId: b.id });

    const list = await h.client.request(ListTokens, { userId });
    expect(list.map((t) => t.id)).toEqual([c.id, a.id]);
    expect(list[0]).toEqual({
      id: c.id,
      name: 'c',
      tokenPrefix: c.tokenPrefix,
      active: true,
      lastUsedAt: null,
      createdAt: c.createdAt,
    });
    expect(JSON.stringify(list)).not.toContain(c.token);
  });

  it('is empty for a user without tokens', async () => {
    expect(await h.client.request(ListTokens, { userId: randomUUID() })).toEqual([]);
  });
});

describe('verify', () => {
  it('resolves a token to its user and sets lastUsedAt shortly after', async () => {
    const userId = randomUUID();
    const t = await create(userId);
    const before = Date.now();
    expect(await h.client.request(VerifyToken, { token: t.token })).toEqual({ userId, tokenId: t.id });

    const lastUsedAt = await waitFor(async () => {
      const [row] = await h.client.request(ListTokens, { userId });
      return row?.lastUsedAt ?? undefined;
    }, 3000);
    expect(new Date(lastUsedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('gateway.token.used (uses served from a gateway cache) moves lastUsedAt forward, never into the future', async () => {
    const userId = randomUUID();
    const a = await create(userId, 'a');
    const b = await create(userId, 'b');
    const reported = new Date(Date.now() - 60_000).toISOString(); // a minute ago: nothing else sets that value
    await h.client.publish(TokensUsed, { tokenIds: [a.id, randomUUID()], at: reported });
    await h.client.publish(TokensUsed, { tokenIds: [b.id], at: new Date(Date.now() + 3_600_000).toISOString() });
    const lastUsed = await waitFor(async () => {
      const list = await h.client.request(ListTokens, { userId });
      const byName = Object.fromEntries(list.map((t) => [t.name, t.lastUsedAt]));
      return byName.a && byName.b ? byName : undefined;
    }, 3000);
    expect(lastUsed.a).toBe(reported);
    expect(Date.parse(lastUsed.b!)).toBeLessThanOrEqual(Date.now()); // a gateway clock ahead of ours is clamped
  });

  it.each([
    ['unknown', 'wh_' + '0'.repeat(48)],
    ['malformed', 'wh_nope'],
    ['empty', ''],
  ])('401 Invalid or revoked API token for an %s token', async (_case, token) => {
    const err = await rejection(h.client.request(VerifyToken, { token }));
    expect(err.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid or revoked API token' });
  });
});

describe('revoke', () => {
  it('deactivates the token, verify fails at once, and token.token.revoked carries the hash', async () => {
    const userId = randomUUID();
    const t = await create(userId);
    await h.client.request(VerifyToken, { token: t.token });

    expect(await h.client.request(RevokeToken, { userId, tokenId: t.id })).toEqual({ success: true });

    const err = await rejection(h.client.request(VerifyToken, { token: t.token }));
    expect(err.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid or revoked API token' });

    const event = await waitFor(async () => revoked.find((e) => e.tokenId === t.id));
    expect(event).toEqual({ tokenId: t.id, userId, tokenHash: hashToken(t.token) });

    const { rows } = await h.db.query('SELECT active FROM token.api_tokens WHERE id = $1', [t.id]);
    expect(rows).toEqual([{ active: false }]); // soft revoke: the row stays
  });

  it('is idempotent for the owner', async () => {
    const userId = randomUUID();
    const t = await create(userId);
    await h.client.request(RevokeToken, { userId, tokenId: t.id });
    expect(await h.client.request(RevokeToken, { userId, tokenId: t.id })).toEqual({ success: true });
  });

  it.each([
    ['an unknown uuid', randomUUID()],
    ['a non-uuid id', 'not-a-uuid'],
    ['an empty id', ''],
  ])('404 Token not found for %s', async (_case, tokenId) => {
    const err = await rejection(h.client.request(RevokeToken, { userId: randomUUID(), tokenId }));
    expect(err.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Token not found' });
  });

  it("403 You do not own this token for someone else's token, which stays valid", async () => {
    const owner = randomUUID();
    const t = await create(owner);
    const err = await rejection(h.client.request(RevokeToken, { userId: randomUUID(), tokenId: t.id }));
    expect(err.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'You do not own this token' });
    expect(await h.client.request(VerifyToken, { token: t.token })).toEqual({ userId: owner, tokenId: t.id });
  });
});

describe('users', () => {
  it('user.get without a users row is {id, isAdmin:false}', async () => {
    const id = randomUUID();
    expect(await h.client.request(GetMe, { userId: id })).toEqual({ id, isAdmin: false });
  });

  it('user.upsert creates once, is idempotent, and user.get returns the row', async () => {
    const id = randomUUID();
    const email = `${id}@example.com`;
    expect(await h.client.request(UpsertUser, { id, email })).toEqual({ id, created: true });
    expect(await h.client.request(UpsertUser, { id, email })).toEqual({ id, created: false });
    expect(await h.client.request(UpsertUser, { id })).toEqual({ id, created: false });
    expect(await h.client.request(GetMe, { userId: id })).toEqual({ id, email, name: null, isAdmin: false });

    await h.client.request(UpsertUser, { id, name: 'Ada' });
    expect(await h.client.request(GetMe, { userId: id })).toEqual({ id, email, name: 'Ada', isAdmin: false });
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM token.users WHERE id = $1', [id]);
    expect(rows[0].n).toBe(1);
  });

  it('concurrent upserts of one user create exactly one row', async () => {
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.client.request(UpsertUser, { id, email: `${id}@example.com` })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('reports isAdmin from the row', async () => {
    const id = randomUUID();
    await h.client.request(UpsertUser, { id, email: `${id}@example.com`, name: 'Root' });
    await h.db.query('UPDATE token.users SET is_admin = true WHERE id = $1', [id]);
    expect(await h.client.request(GetMe, { userId: id })).toMatchObject({ id, isAdmin: true });
  });

  it('an email already held by another user does not fail the upsert', async () => {
    const email = `${randomUUID()}@example.com`;
    await h.client.request(UpsertUser, { id: randomUUID(), email });
    const second = randomUUID();
    expect(await h.client.request(UpsertUser, { id: second, email })).toEqual({ id: second, created: true });
    expect(await h.client.request(GetMe, { userId: second })).toMatchObject({ id: second, email: null });
  });

  it.each([
    ['email', { email: 'nul\u0000@example.com' }],
    ['name', { name: 'Ada\u0000' }],
  ])('user.upsert with a NUL byte in the %s is a 400 (Postgres text cannot hold it), not a 500', async (_f, extra) => {
    const err = await rejection(h.client.request(UpsertUser, { id: randomUUID(), ...extra }));
    expect(err.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Request contains characters that cannot be stored (e.g. NUL bytes)',
    });
  });

  it('a token created for an existing user keeps its profile', async () => {
    const id = randomUUID();
    await h.client.request(UpsertUser, { id, email: `${id}@example.com`, name: 'Kept' });
    await create(id);
    expect(await h.client.request(GetMe, { userId: id })).toMatchObject({ name: 'Kept' });
  });
});

describe('Postgres connections killed', () => {
  it('answers 503 at worst, never 500, and heals without a restart', async () => {
    const userId = randomUUID();
    const t = await create(userId);
    await h.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const statuses: number[] = [];
    const ok = await waitFor(async () => {
      try {
        return await h.client.request(VerifyToken, { token: t.token });
      } catch (err) {
        statuses.push((err as { statusCode: number }).statusCode);
        return undefined;
      }
    }, 5000);
    expect(ok).toEqual({ userId, tokenId: t.id });
    expect(statuses.filter((s) => s !== 503)).toEqual([]);
    expect(await h.client.request(ListTokens, { userId })).toHaveLength(1);
  });
});
