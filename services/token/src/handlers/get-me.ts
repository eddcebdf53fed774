import type { CommandHandler } from '@wahooks/broker';
import type { GetMe } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';

/** GET /api/me: the users row, or `{id, isAdmin: false}` when there is none. */
export const handleGetMe =
  ({ users }: Pick<HandlerDeps, 'users'>): CommandHandler<typeof GetMe> =>
  async ({ userId }) => {
    const user = await users.findById(userId);
    if (!user) return { id: userId, isAdmin: false };
    return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  };
