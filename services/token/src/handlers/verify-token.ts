import type { CommandHandler } from '@wahooks/broker';
import { unauthorized, type VerifyToken } from '@wahooks/contracts';
import { hashToken, isWellFormedToken } from '../domain/token-format.js';
import type { HandlerDeps } from './deps.js';

const INVALID = 'Invalid or revoked API token';

/** The cold path of every wh_-authenticated request: one unique-index lookup; lastUsedAt is written later. */
export const handleVerifyToken =
  ({ tokens, lastUsed }: Pick<HandlerDeps, 'tokens' | 'lastUsed'>): CommandHandler<typeof VerifyToken> =>
  async ({ token }) => {
    if (!isWellFormedToken(token)) throw unauthorized(INVALID);
    const found = await tokens.findActiveByHash(hashToken(token));
    if (!found) throw unauthorized(INVALID);
    lastUsed.mark(found.id);
    return { userId: found.userId, tokenId: found.id };
  };
