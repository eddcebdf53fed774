/**
 * Event intake: one Baileys batch → what the session writes for it in one transaction (outbox events, the
 * messages it keeps, chat changes). Pure, so the batch can be mapped in arrival order as it is taken.
 */
import type { BaileysEventMap, WAMessage } from '@whiskeysockets/baileys';
import {
  buildEnvelope,
  isUserMessage,
  mapCalls,
  mapChatsUpdate,
  mapGroupEvents,
  mapMessagesUpdate,
  mapMessagesUpsert,
  mapPresence,
  mapReceiptUpdate,
  preferPn,
  toChatId,
  type EnvelopeContext,
  type MapContext,
  type MappedEvent,
} from '../events/index.js';
import type { OutboxEntry } from '../outbox/outbox-repo.js';
import type { ChatChange, SessionBatch } from './session-store.js';

export function mapSessionBatch(
  events: Partial<BaileysEventMap>,
  ctx: MapContext,
  envelope: EnvelopeContext,
): SessionBatch {
  const mapped: MappedEvent[] = [];
  const messages: WAMessage[] = [];
  const chats: ChatChange[] = [];
  const upsert = events['messages.upsert'];
  if (upsert) {
    mapped.push(...mapMessagesUpsert(upsert, ctx));
    for (const m of upsert.messages) {
      if (!m.key?.remoteJid || !isUserMessage(m)) continue;
      messages.push(m);
      const chatId = toChatId(preferPn(m.key.remoteJid, m.key.remoteJidAlt));
      if (!chatId || chatId === 'status@broadcast') continue;
      const isGroup = chatId.endsWith('@g.us');
      chats.push({
        chatId,
        name: !m.key.fromMe && !isGroup ? (m.pushName ?? null) : null,
        conversationTimestamp: Number(m.messageTimestamp ?? 0),
        unreadIncrement: m.key.fromMe || upsert.type !== 'notify' ? 0 : 1,
      });
    }
  }
  mapped.push(...mapGroupEvents(events, ctx));
  if (events['messages.update']) mapped.push(...mapMessagesUpdate(events['messages.update'], ctx));
  if (events['message-receipt.update']) mapped.push(...mapReceiptUpdate(events['message-receipt.update'], ctx));
  if (events['presence.update']) mapped.push(...mapPresence(events['presence.update']));
  if (events.call) mapped.push(...mapCalls(events.call));
  if (events['chats.update']) {
    mapped.push(...mapChatsUpdate(events['chats.update'], ctx));
    for (const c of events['chats.update']) {
      const chatId = toChatId(c.id);
      if (!chatId) continue;
      chats.push({
        chatId,
        name: c.name ?? null,
        conversationTimestamp: c.conversationTimestamp ? Number(c.conversationTimestamp) : undefined,
        archived: typeof c.archived === 'boolean' ? c.archived : undefined,
      });
    }
  }
  for (const c of [...(events['chats.upsert'] ?? []), ...(events['messaging-history.set']?.chats ?? [])]) {
    const chatId = toChatId(c.id);
    if (chatId)
      chats.push({ chatId, name: c.name ?? null, conversationTimestamp: Number(c.conversationTimestamp ?? 0) });
  }
  const now = ctx.nowMs();
  const outbox: OutboxEntry[] = mapped.map((m) => ({
    envelope: buildEnvelope(m, envelope, now),
    dedupeKey: m.dedupeKey,
  }));
  return { outbox, messages, chats, deletedChats: events['chats.delete']?.map((j) => toChatId(j)!).filter(Boolean) };
}
