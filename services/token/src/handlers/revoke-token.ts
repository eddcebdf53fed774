import type { CommandHandler } from '@wahooks/broker';
import { forbidden, notFound, TokenRevoked, unavailable, type RevokeToken } from '@wahooks/contracts';
import { isUuid } from '../domain/uuid.js';
import type { HandlerDeps } from './deps.js';

/**
 * DELETE /api/tokens/:id. Soft revoke, then tell every gateway to drop the token from its auth cache.
 * The event goes out after the UPDATE has committed, and again on every repeated revoke, so a lost
 * publish is healed by retrying the call.
 */
export const handleRevokeToken =
  ({ tokens, events, logger }: Pick<HandlerDeps, 'tokens' | 'events' | 'logger'>): CommandHandler<typeof RevokeToken> =>
  async ({ userId, tokenId }) => {
    if (!isUuid(tokenId)) throw notFound('Token not found');
    const token = await tokens.findById(tokenId);
    if (!token) throw notFound('Token not found');
    if (token.userId !== userId) throw forbidden('You do not own this token');
    await tokens.deactivate(token.id);
    try {
      await events.publish(TokenRevoked, { tokenId: token.id, userId: token.userId, tokenHash: token.tokenHash });
    } catch (err) {
      logger.error({ err, tokenId: token.id }, 'token revoked but TokenRevoked was not published');
      throw unavailable('Token revoked, but gateways could not be told yet; retry the request');
    }
    return { success: true as const };
  };
