/** Keeps the ownership projection: routes answer 404/403 from it without asking the connection service. */
import type { ConnectionCreated, ConnectionDeleted, PayloadOf } from '@wahooks/contracts';
import type { Deps } from './deps.js';

export const onConnectionCreated =
  (deps: Pick<Deps, 'connections'>) =>
  async (e: PayloadOf<typeof ConnectionCreated>): Promise<void> => {
    await deps.connections.upsert(e.connectionId, e.userId);
  };

export const onConnectionDeleted =
  (deps: Pick<Deps, 'connections'>) =>
  async (e: PayloadOf<typeof ConnectionDeleted>): Promise<void> => {
    await deps.connections.remove(e.connectionId);
  };
