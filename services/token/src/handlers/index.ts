import { handle, type CommandBinding, type CommandHandler } from '@wahooks/broker';
import {
  badRequest,
  CreateToken,
  GetMe,
  ListTokens,
  RevokeToken,
  unavailable,
  UpsertUser,
  VerifyToken,
  type AnyCommand,
} from '@wahooks/contracts';
import { isDatabaseUnavailable } from '@wahooks/db';
import { isBadInputForDatabase } from '../domain/db-bad-input.js';
import { handleCreateToken } from './create-token.js';
import type { HandlerDeps } from './deps.js';
import { handleGetMe } from './get-me.js';
import { handleListTokens } from './list-tokens.js';
import { handleRevokeToken } from './revoke-token.js';
import { handleUpsertUser } from './upsert-user.js';
import { handleVerifyToken } from './verify-token.js';

export type { HandlerDeps } from './deps.js';

/** Database errors that are not bugs: an outage is a 503 (retry later), a value Postgres cannot store a 400. */
const mapDbErrors =
  <C extends AnyCommand>(deps: HandlerDeps, handler: CommandHandler<C>): CommandHandler<C> =>
  async (request, ctx) => {
    try {
      return await handler(request, ctx);
    } catch (err) {
      if (isBadInputForDatabase(err)) {
        deps.logger.warn({ err: (err as Error).message }, 'request held characters the database cannot store');
        throw badRequest('Request contains characters that cannot be stored (e.g. NUL bytes)');
      }
      if (!isDatabaseUnavailable(err)) throw err;
      deps.logger.error({ err }, 'database unavailable');
      throw unavailable('Token store unavailable, retry shortly');
    }
  };

/** Every command the token service answers. */
export const tokenCommandHandlers = (deps: HandlerDeps): CommandBinding[] => [
  handle(CreateToken, mapDbErrors(deps, handleCreateToken(deps))),
  handle(ListTokens, mapDbErrors(deps, handleListTokens(deps))),
  handle(RevokeToken, mapDbErrors(deps, handleRevokeToken(deps))),
  handle(VerifyToken, mapDbErrors(deps, handleVerifyToken(deps))),
  handle(UpsertUser, mapDbErrors(deps, handleUpsertUser(deps))),
  handle(GetMe, mapDbErrors(deps, handleGetMe(deps))),
];
