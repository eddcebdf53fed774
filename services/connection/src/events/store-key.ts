/**
 * Which message a key names, as the message store keeps it: chat, sender and id. The id alone is the sender's
 * choice (anyone can send a message carrying the id of someone else's), so it never identifies a message on its
 * own. JIDs are taken in their phone-number form when Baileys gives both (LID ↔ PN) and without a device; `me` is
 * the sender of our own messages.
 */
import { createHash } from 'node:crypto';
import { jidNormalizedUser, type WAMessageKey } from '@whiskeysockets/baileys';
import { preferPn } from './jids.js';

export interface StoreKey {
  chat: string;
  sender: string;
  id: string;
}

const norm = (jid: string | null | undefined): string => (jid ? jidNormalizedUser(jid) : '');

export function storeKeyOf(key: WAMessageKey | null | undefined): StoreKey | undefined {
  if (!key?.id || !key.remoteJid) return undefined;
  const chat = norm(preferPn(key.remoteJid, key.remoteJidAlt));
  const sender = key.fromMe ? 'me' : norm(preferPn(key.participant, key.participantAlt)) || chat;
  return { chat, sender, id: key.id };
}

/** 24 hex characters naming a chat and a sender (opaque in URLs; the same pair always gives the same ref). */
export const chatSenderRef = (k: Pick<StoreKey, 'chat' | 'sender'>): string =>
  createHash('sha256').update(`${k.chat}\n${k.sender}`).digest('hex').slice(0, 24);

/** True when both keys can name the same message: same id, same side, same chat (either JID form) and sender. */
export function sameMessageKey(a: WAMessageKey, b: WAMessageKey): boolean {
  if (!a.id || a.id !== b.id || Boolean(a.fromMe) !== Boolean(b.fromMe)) return false;
  const forms = (...jids: (string | null | undefined)[]) => new Set(jids.filter(Boolean).map((j) => norm(j)));
  const overlap = (x: Set<string>, y: Set<string>) => [...x].some((j) => y.has(j));
  if (!overlap(forms(a.remoteJid, a.remoteJidAlt), forms(b.remoteJid, b.remoteJidAlt))) return false;
  if (a.fromMe) return true;
  const sa = forms(a.participant, a.participantAlt);
  const sb = forms(b.participant, b.participantAlt);
  return sa.size === 0 && sb.size === 0 ? true : overlap(sa, sb);
}
