/** Token events: revocations (published by the token service) and cached uses (published by gateways). */
import { z } from 'zod';
import { defineEvent } from '../define.js';

export const TokenRevoked = defineEvent({
  type: 'token.token.revoked',
  version: 1,
  payload: z.object({
    tokenId: z.uuid(),
    userId: z.uuid(),
    tokenHash: z.string().regex(/^[0-9a-f]{64}$/), // sha256 hex of the raw token: gateways drop cache entries by it
  }),
  summary: 'A token was revoked: every gateway replica drops it from its auth cache at once',
});

/** Most token ids in one TokensUsed event; a gateway splits a larger batch into several events. */
export const TOKENS_USED_MAX_IDS = 1000;

export const TokensUsed = defineEvent({
  type: 'gateway.token.used',
  version: 1,
  payload: z.object({
    tokenIds: z.array(z.uuid()).min(1).max(TOKENS_USED_MAX_IDS),
    at: z.iso.datetime(), // ISO-8601: the newest use in the batch (batches span about a second)
  }),
  summary:
    'wh_ tokens a gateway accepted from its auth cache (which the token service never saw); sets lastUsedAt. Best effort',
});
