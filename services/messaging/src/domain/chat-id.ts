/**
 * Chat and message ids as the API shows them and as Baileys wants them. The API accepts WAHA's `@c.us` and
 * Baileys' `@s.whatsapp.net` for persons (`@c.us` accepted too), groups `@g.us`, LIDs `@lid`, and bare phone numbers;
 * the session owner gets a Jid (`@s.whatsapp.net`). Message ids are WAHA-style `{fromMe}_{chat}_{id}` with
 * persons as `@c.us`, the shape webhooks carry, so a webhook's id works as `replyTo` or `messageId`.
 */
import { isChatId } from '@wahooks/contracts';

/** A chat id the body schema accepted → its Jid; undefined when it is not one. */
export function toJid(chatId: string): string | undefined {
  const value = chatId.trim();
  if (!isChatId(value)) return undefined;
  if (value.endsWith('@c.us')) return `${value.slice(0, -'@c.us'.length)}@s.whatsapp.net`;
  if (value.includes('@')) return value;
  return `${value.replace(/\D/g, '')}@s.whatsapp.net`;
}

/** Jid → the chat id shown over the API (`@c.us` for persons, like WAHA). */
export const toApiChatId = (jid: string): string =>
  jid.endsWith('@s.whatsapp.net') ? `${jid.slice(0, -'@s.whatsapp.net'.length)}@c.us` : jid;

export const apiMessageId = (jid: string, id: string, fromMe = true): string => `${fromMe}_${toApiChatId(jid)}_${id}`;

export interface MessageRef {
  id: string; // the bare WhatsApp id
  fromMe?: boolean; // known when given as `true_…`/`false_…`
  chat?: string; // Jid
  participant?: string; // Jid of the sender in a group
}

const BARE_ID = /^[0-9A-Za-z]{4,128}$/;
const FULL_ID = /^(true|false)_([^_]+)_([0-9A-Za-z]{4,128})(?:_([^_]+))?$/;

/** `true_15551234567@c.us_3EB0…[_participant]` or a bare id; undefined when it is neither. */
export function parseMessageRef(ref: string): MessageRef | undefined {
  const value = ref.trim();
  if (BARE_ID.test(value)) return { id: value };
  const m = FULL_ID.exec(value);
  if (!m) return undefined;
  const chat = toJid(m[2]!);
  if (!chat) return undefined;
  const participant = m[4] === undefined ? undefined : toJid(m[4]);
  if (m[4] !== undefined && !participant) return undefined;
  return { id: m[3]!, fromMe: m[1] === 'true', chat, ...(participant ? { participant } : {}) };
}
