import { handle, mapCommandErrors, type CommandBinding } from '@wahooks/broker';
import { GetMessageStatus, MarkChatRead, SendMessage, SetTyping, unavailable } from '@wahooks/contracts';
import { isDatabaseUnavailable } from '@wahooks/db';
import { handleMarkRead, handleTyping } from './chat-actions.js';
import type { HandlerDeps } from './deps.js';
import { handleGetMessage } from './get-message.js';
import { handleSendMessage } from './send-message.js';

export type { HandlerDeps } from './deps.js';

/** Every command the messaging service answers. */
export const messagingCommandHandlers = (deps: HandlerDeps): CommandBinding[] =>
  mapCommandErrors(
    [
      handle(SendMessage, handleSendMessage(deps)),
      handle(GetMessageStatus, handleGetMessage(deps)),
      handle(MarkChatRead, handleMarkRead(deps)),
      handle(SetTyping, handleTyping(deps)),
    ],
    // A database outage is a 503 (retry later), not a 500.
    (err) => {
      if (!isDatabaseUnavailable(err)) return err;
      deps.logger.error({ err }, 'database unavailable');
      return unavailable('Message store unavailable, retry shortly');
    },
  );
