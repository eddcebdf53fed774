import { handle, type CommandBinding, type CommandHandler } from '@wahooks/broker';
import {
  GetMessageStatus,
  MarkChatRead,
  SendMessage,
  SetTyping,
  unavailable,
  type AnyCommand,
} from '@wahooks/contracts';
import { isDatabaseUnavailable } from '../domain/db-unavailable.js';
import { handleMarkRead, handleTyping } from './chat-actions.js';
import type { HandlerDeps } from './deps.js';
import { handleGetMessage } from './get-message.js';
import { handleSendMessage } from './send-message.js';

export type { HandlerDeps } from './deps.js';

/** A database outage is a 503 (retry later), not a 500. */
const mapDbErrors =
  <C extends AnyCommand>(deps: HandlerDeps, handler: CommandHandler<C>): CommandHandler<C> =>
  async (request, ctx) => {
    try {
      return await handler(request, ctx);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      deps.logger.error({ err }, 'database unavailable');
      throw unavailable('Message store unavailable, retry shortly');
    }
  };

/** Every command the messaging service answers. */
export const messagingCommandHandlers = (deps: HandlerDeps): CommandBinding[] => [
  handle(SendMessage, mapDbErrors(deps, handleSendMessage(deps))),
  handle(GetMessageStatus, mapDbErrors(deps, handleGetMessage(deps))),
  handle(MarkChatRead, mapDbErrors(deps, handleMarkRead(deps))),
  handle(SetTyping, mapDbErrors(deps, handleTyping(deps))),
];
