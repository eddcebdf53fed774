import { handle, type CommandBinding, type CommandHandler } from '@wahooks/broker';
import {
  CreateToken,
  GetMe,
  ListTokens,
  RevokeToken,
  unavailable,
  UpsertUser,
  VerifyToken,
  type AnyCommand,
} from '@wahooks/contracts';
import { isDatabaseUnavailable } from '../domain/db-unavailable.js';
import { handleCreateToken } from './create-token.js';
import type { HandlerDeps } from './deps.js';
import { handleGetMe } from './get-me.js';
import { handleListTokens } from './list-tokens.js';
import { handleRevokeToken } from './revoke-token.js';
import { handleUpsertUser } from './upsert-user.js';
import { handleVerifyToken } from './verify-token.js';

export type { HandlerDeps } from './deps.js';

/** A Postgres outage is a 503 for the caller (retry later), not a 500. */
const dbOutageIs503 =
  <C extends AnyCommand>(deps: HandlerDeps, handler: CommandHandler<C>): CommandHandler<C> =>
  async (request, ctx) => {
    try {
      return await handler(request, ctx);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      deps.logger.error({ err }, 'database unavailable');
      throw unavailable('Token store unavailable, retry shortly');
    }
  };

/** Every command the token service answers. */
export const tokenCommandHandlers = (deps: HandlerDeps): CommandBinding[] => [
  handle(CreateToken, dbOutageIs503(deps, handleCreateToken(deps))),
  handle(ListTokens, dbOutageIs503(deps, handleListTokens(deps))),
  handle(RevokeToken, dbOutageIs503(deps, handleRevokeToken(deps))),
  handle(VerifyToken, dbOutageIs503(deps, handleVerifyToken(deps))),
  handle(UpsertUser, dbOutageIs503(deps, handleUpsertUser(deps))),
  handle(GetMe, dbOutageIs503(deps, handleGetMe(deps))),
];
