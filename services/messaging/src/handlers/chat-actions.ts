/** mark-read, typing, typing/stop: straight to the session owner, no presence simulation, no ordering. */
import type { CommandHandler } from '@wahooks/broker';
import { badRequest, type MarkChatRead, type SetTyping } from '@wahooks/contracts';
import { toJid } from '../domain/chat-id.js';
import type { HandlerDeps } from './deps.js';

type Deps = Pick<HandlerDeps, 'access' | 'owner'>;

const jidOf = (chatId: string) => {
  const jid = toJid(chatId);
  if (!jid) throw badRequest('chatId is required');
  return jid;
};

export const handleMarkRead =
  (deps: Deps): CommandHandler<typeof MarkChatRead> =>
  async ({ userId, connectionId, chatId }) => {
    await deps.access.linked(userId, connectionId);
    await deps.owner.markRead(connectionId, jidOf(chatId));
    return { success: true };
  };

export const handleTyping =
  (deps: Deps): CommandHandler<typeof SetTyping> =>
  async ({ userId, connectionId, chatId, typing }) => {
    await deps.access.linked(userId, connectionId);
    await deps.owner.presence(connectionId, jidOf(chatId), typing ? 'composing' : 'paused');
    return { success: true };
  };
