import type { CommandHandler } from '@wahooks/broker';
import { forbidden, isUuid, notFound, unavailable, type RevokeToken } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';

/** How long a revoke waits for its token.token.revoked to be confirmed by the broker before answering 503. */
export const REVOKE_PUBLISH_WAIT_MS = 5000;

/**
 * DELETE /api/tokens/:id. Soft revoke and its token.token.revoked event are written in one transaction (the
 * outbox), then the event is relayed to every gateway, which drops the token from its auth cache. The answer
 * waits for the broker's confirm: a 503 says the gateways were not told yet (the relay keeps trying; repeating
 * the call is safe and writes the event again).
 */
export const handleRevokeToken =
  ({ tokens, outbox, logger }: Pick<HandlerDeps, 'tokens' | 'outbox' | 'logger'>): CommandHandler<typeof RevokeToken> =>
  async ({ userId, tokenId }) => {
    if (!isUuid(tokenId)) throw notFound('Token not found');
    const token = await tokens.findById(tokenId);
    if (!token) throw notFound('Token not found');
    if (token.userId !== userId) throw forbidden('You do not own this token');
    const eventId = await tokens.revoke(token);
    if (!(await outbox.sent([eventId], REVOKE_PUBLISH_WAIT_MS))) {
      logger.error({ tokenId: token.id, eventId }, 'token revoked but TokenRevoked is not published yet');
      throw unavailable('Token revoked, but gateways could not be told yet; retry the request');
    }
    return { success: true as const };
  };
