import type { CommandHandler } from '@wahooks/broker';
import type { ListTokens } from '@wahooks/contracts';
import type { HandlerDeps } from './deps.js';
import { toSummary } from './to-summary.js';

/** GET /api/tokens: active tokens only, newest first. */
export const handleListTokens =
  ({ tokens }: Pick<HandlerDeps, 'tokens'>): CommandHandler<typeof ListTokens> =>
  async ({ userId }) =>
    (await tokens.listActive(userId)).map(toSummary);
