import type { CommandHandler } from '@wahooks/broker';
import { notFound, type GetMessageStatus, type MessageStatusView } from '@wahooks/contracts';
import { apiMessageId, parseMessageRef, toApiChatId } from '../domain/chat-id.js';
import type { HandlerDeps } from './deps.js';

/** GET /api/connections/:id/messages/:messageId: by the API's id or the bare WhatsApp id. */
export const handleGetMessage =
  (deps: Pick<HandlerDeps, 'access' | 'messages'>): CommandHandler<typeof GetMessageStatus> =>
  async ({ userId, connectionId, messageId }) => {
    await deps.access.owned(userId, connectionId);
    const ref = parseMessageRef(messageId);
    const row = ref && (await deps.messages.find(connectionId, ref.id));
    if (!row || (ref.chat && ref.chat !== row.chat_id) || ref.fromMe === false) throw notFound('Message not found');
    const history = await deps.messages.history(connectionId, row.message_id);
    const view: MessageStatusView = {
      id: apiMessageId(row.chat_id, row.message_id),
      chatId: toApiChatId(row.chat_id),
      type: row.type,
      status: row.status,
      statusHistory: history.map((h) => ({ status: h.status, at: h.at.toISOString() })),
      timestamp: row.sent_at !== null ? Number(row.sent_at) : Math.floor(row.created_at.getTime() / 1000),
      ...(row.error ? { error: row.error } : {}),
    };
    return view;
  };
