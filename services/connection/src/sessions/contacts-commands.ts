/**
 * Number checks on the held session (contracts commands/contacts.ts): one USync contact query (Baileys
 * `onWhatsApp`) for the numbers not answered in the last NUMBER_CHECK_TTL_MS, per connection. WhatsApp answers
 * only the numbers it knows, under the jid it uses for them (its digits may differ from the ones asked), so a
 * number whose answer cannot be told apart from the batch is asked again on its own.
 */
import { jidDecode, type WASocket } from '@whiskeysockets/baileys';
import { handle, type CommandBinding } from '@wahooks/broker';
import { SessionCheckNumbers } from '@wahooks/contracts';
import { heldSession, linkedSocket, whatsappFailure, type SessionLookup } from './held-socket.js';
import { createTtlCache } from './ttl-cache.js';

/** How long an answer is reused, ms: long enough for a bot's check-then-send, short enough to see a new account. */
export const NUMBER_CHECK_TTL_MS = 5 * 60_000;

export interface NumberCheck {
  phone: string;
  exists: boolean;
  jid: string | null;
}

export function contactsCommands(lookup: SessionLookup, options: { ttlMs?: number } = {}): CommandBinding[] {
  const cache = createTtlCache(options.ttlMs ?? NUMBER_CHECK_TTL_MS, 20_000);
  return [
    handle(SessionCheckNumbers, async ({ connectionId, phones }) => {
      const sock = linkedSocket(heldSession(lookup, connectionId));
      const key = (phone: string) => `${connectionId}:${phone}`;
      const answers = new Map<string, NumberCheck>();
      for (const phone of phones) {
        const cached = cache.get<NumberCheck>(key(phone)) as NumberCheck | undefined; // this cache is synchronous
        if (cached) answers.set(phone, cached);
      }
      const missing = [...new Set(phones)].filter((p) => !answers.has(p));
      if (missing.length) {
        const found = await checkNumbers(sock, missing).catch((err: unknown) => {
          throw whatsappFailure(err, { notFound: 'Number not found', forbidden: 'WhatsApp refused the number check' });
        });
        for (const check of found) {
          answers.set(check.phone, check);
          void cache.set(key(check.phone), check); // synchronous
        }
      }
      return phones.map((phone) => answers.get(phone)!);
    }),
  ];
}

async function checkNumbers(sock: WASocket, phones: string[]): Promise<NumberCheck[]> {
  const results = (await sock.onWhatsApp(...phones)) ?? [];
  const byUser = new Map(results.filter((r) => r.exists).map((r) => [jidDecode(r.jid)?.user, r.jid]));
  const answers = phones.map((phone) => ({ phone, exists: byUser.has(phone), jid: byUser.get(phone) ?? null }));
  const unmatched = results.filter((r) => r.exists && !phones.includes(jidDecode(r.jid)?.user ?? ''));
  if (!unmatched.length) return answers;
  // WhatsApp answered under other digits: ask each number still without an answer alone.
  for (const answer of answers.filter((a) => !a.exists)) {
    const [alone] = (await sock.onWhatsApp(answer.phone)) ?? [];
    if (alone?.exists) Object.assign(answer, { exists: true, jid: alone.jid });
  }
  return answers;
}
