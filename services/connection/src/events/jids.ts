/** WhatsApp JIDs as WAHA prints them: users as `<digits>@c.us` (no device), everything else unchanged. */
import { isLidUser, isPnUser, jidDecode } from '@whiskeysockets/baileys';

/** `15551234567:3@s.whatsapp.net` → `15551234567@c.us`; groups, broadcasts, newsletters and LIDs stay as they are. */
export function toChatId(jid: string | null | undefined): string | null {
  if (!jid) return null;
  if (isPnUser(jid)) return `${jidDecode(jid)!.user}@c.us`;
  if (isLidUser(jid)) return `${jidDecode(jid)!.user}@lid`;
  return jid;
}

/** Prefer the phone-number JID when Baileys addresses a peer by LID and also gives the PN as the alternative. */
export function preferPn(jid: string | null | undefined, alt: string | null | undefined): string | null | undefined {
  if (jid && isLidUser(jid) && alt && isPnUser(alt)) return alt;
  return jid;
}

/** `15551234567@c.us` or `…@s.whatsapp.net` → `15551234567@s.whatsapp.net` (both accepted). */
export function toJid(chatId: string): string {
  if (chatId.endsWith('@c.us')) return `${chatId.slice(0, -'@c.us'.length)}@s.whatsapp.net`;
  return chatId;
}
