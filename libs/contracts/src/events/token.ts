/** Events published by the token service. */
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
