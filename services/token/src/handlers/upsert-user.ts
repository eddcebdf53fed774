import type { CommandHandler } from '@wahooks/broker';
import type { UpsertUser } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';

/** First JWT use of a user (the gateway calls it); idempotent. */
export const handleUpsertUser =
  ({ users }: Pick<HandlerDeps, 'users'>): CommandHandler<typeof UpsertUser> =>
  async ({ id, email, name }) => {
    const { created } = await users.upsert({ id, email, name });
    return { id, created };
  };
