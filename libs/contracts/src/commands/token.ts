/** Commands answered by the token service (users and API tokens; docs/api.md). */
import { z } from 'zod';
import { defineCommand } from '../define.js';

/** Supabase user ids (JWT `sub`) are UUIDs; WAHooks keeps them as the users primary key. */
export const UserId = z.uuid();

export const TokenSummary = z.object({
  id: z.uuid(),
  name: z.string(),
  tokenPrefix: z.string(), // first 10 characters of the raw token + "..."
  active: z.boolean(),
  lastUsedAt: z.string().nullable(), // ISO-8601
  createdAt: z.string(), // ISO-8601
});

export const CreatedToken = z.object({
  id: z.uuid(),
  name: z.string(),
  token: z.string().regex(/^wh_[0-9a-f]{48}$/), // shown once, never stored
  tokenPrefix: z.string(),
  createdAt: z.string(),
});

export const TokenName = z
  .string({ error: 'name is required' })
  .trim()
  .min(1, { error: 'name is required' })
  .max(100, { error: 'name must be at most 100 characters' })
  // Postgres text cannot hold NUL, and no other control character belongs in a label shown in a token list.
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'name must not contain control characters' })
  .meta({ description: 'A label for the token, shown in the token list: 1 to 100 characters, trimmed' });

/** POST /api/tokens. */
export const CreateTokenBody = z.object({ name: TokenName });

export const CreateToken = defineCommand({
  name: 'token.token.create',
  version: 1,
  request: CreateTokenBody.extend({ userId: UserId }),
  reply: CreatedToken,
  summary: 'Create an API token for a user; the raw token is in the reply only',
});

export const ListTokens = defineCommand({
  name: 'token.token.list',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: z.array(TokenSummary),
  summary: "List a user's active tokens",
});

export const RevokeToken = defineCommand({
  name: 'token.token.revoke',
  version: 1,
  request: z.object({ userId: UserId, tokenId: z.string() }), // tokenId is checked by the service: 404 if not a uuid
  reply: z.object({ success: z.literal(true) }),
  summary:
    'Revoke (soft-delete) a token: 404 Token not found, 403 You do not own this token; publishes token.token.revoked',
});

export const VerifyToken = defineCommand({
  name: 'token.token.verify',
  version: 1,
  request: z.object({ token: z.string() }),
  reply: z.object({ userId: UserId, tokenId: z.uuid() }),
  summary: 'Resolve a raw wh_ token to its user; 401 Invalid or revoked API token. Marks lastUsedAt in the background',
});

export const UpsertUser = defineCommand({
  name: 'token.user.upsert',
  version: 1,
  request: z.object({ id: UserId, email: z.string().nullable().optional(), name: z.string().nullable().optional() }),
  reply: z.object({ id: UserId, created: z.boolean() }),
  summary: 'Create the users row on first JWT use (idempotent)',
});

export const UserProfile = z.object({
  id: UserId,
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  isAdmin: z.boolean(),
});

export const GetMe = defineCommand({
  name: 'token.user.get',
  version: 1,
  request: z.object({ userId: UserId }),
  reply: UserProfile,
  summary: 'GET /api/me: {id,email,name,isAdmin}, or {id,isAdmin:false} when there is no users row',
});
