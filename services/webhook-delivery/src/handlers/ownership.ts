/** Who may touch what (403 for another user's resource, 404 when it does not exist). */
import { AppError, forbidden, GetConnection, isUuid, notFound, unavailable } from '@wahooks/contracts';
import type { WebhookRow } from '../adapters/webhooks-repo.js';
import type { Deps } from './deps.js';

export function ownership(deps: Pick<Deps, 'connections' | 'webhooks' | 'broker'>) {
  /** The local projection first; the connection service when the projection has not heard of the id yet. */
  async function ownerOfConnection(connectionId: string): Promise<string | null> {
    const known = await deps.connections.ownerOf(connectionId);
    if (known) return known;
    try {
      const c = await deps.broker.request(GetConnection, { connectionId }, { timeoutMs: 3000 });
      await deps.connections.upsert(c.id, c.userId);
      return c.userId;
    } catch (err) {
      if (err instanceof AppError && err.statusCode === 404) return null;
      if (err instanceof AppError && err.statusCode >= 500)
        throw unavailable('Connection service unavailable, please retry');
      throw err;
    }
  }

  return {
    async connection(userId: string, connectionId: string): Promise<void> {
      if (!isUuid(connectionId)) throw notFound('Connection not found');
      const owner = await ownerOfConnection(connectionId);
      if (!owner) throw notFound('Connection not found');
      if (owner !== userId) throw forbidden('You do not own this connection');
    },
    async webhook(userId: string, webhookId: string): Promise<WebhookRow> {
      const w = await deps.webhooks.get(webhookId);
      if (!w) throw notFound('Webhook config not found');
      if (w.user_id !== userId) throw forbidden('You do not own this webhook config');
      return w;
    },
  };
}
