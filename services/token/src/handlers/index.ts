import { handle, type CommandBinding } from '@wahooks/broker';
import { CreateToken, GetMe, ListTokens, RevokeToken, UpsertUser, VerifyToken } from '@wahooks/contracts';
import { handleCreateToken } from './create-token.js';
import type { HandlerDeps } from './deps.js';
import { handleGetMe } from './get-me.js';
import { handleListTokens } from './list-tokens.js';
import { handleRevokeToken } from './revoke-token.js';
import { handleUpsertUser } from './upsert-user.js';
import { handleVerifyToken } from './verify-token.js';

export type { HandlerDeps } from './deps.js';

/** Every command the token service answers. */
export const tokenCommandHandlers = (deps: HandlerDeps): CommandBinding[] => [
  handle(CreateToken, handleCreateToken(deps)),
  handle(ListTokens, handleListTokens(deps)),
  handle(RevokeToken, handleRevokeToken(deps)),
  handle(VerifyToken, handleVerifyToken(deps)),
  handle(UpsertUser, handleUpsertUser(deps)),
  handle(GetMe, handleGetMe(deps)),
];
