import type { CommandHandler } from '@wahooks/broker';
import type { CreateToken } from '@wahooks/contracts';
import { generateToken } from '../domain/token-format.js';
import type { HandlerDeps } from './deps.js';

/** POST /api/tokens. The raw token leaves this function in the reply and nowhere else. */
export const handleCreateToken =
  ({ tokens, users }: Pick<HandlerDeps, 'tokens' | 'users'>): CommandHandler<typeof CreateToken> =>
  async ({ userId, name }) => {
    // Tokens minted by the operator CLI may be the user's first appearance.
    await users.ensureExists(userId);
    const token = generateToken();
    const row = await tokens.insert({ userId, name, tokenHash: token.hash, tokenPrefix: token.prefix });
    return {
      id: row.id,
      name: row.name,
      token: token.raw,
      tokenPrefix: row.tokenPrefix,
      createdAt: row.createdAt.toISOString(),
    };
  };
