/**
 * Number checks (docs/api.md, "Contacts"): is a phone number on WhatsApp, and under which chat id, so a bot never
 * sends into the void. The HTTP query/body schemas (validated by the gateway), the connection-level command any
 * connection replica answers, and the session-owned lookup the replica holding the socket runs (a USync contact
 * query). Answers are cached briefly per connection by the holder.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';

/** A full international number: country code first, 7 to 15 digits (E.164), no leading 0. */
export const E164_DIGITS = /^[1-9]\d{6,14}$/;

/** Digits of a phone number as people write it: `+`, spaces, dashes, dots and parentheses are dropped. */
export function phoneDigits(value: string): string | null {
  if (!/^\+?[\d\s().-]+$/.test(value.trim())) return null;
  const digits = value.replace(/\D/g, '');
  return E164_DIGITS.test(digits) ? digits : null;
}

const PHONE_FORMAT = 'must be a phone number with its country code, 7 to 15 digits (e.g. +15551234567)';

/** At most this many numbers per batch check. */
export const MAX_NUMBER_CHECKS = 50;

/** A phone number field as it arrives over HTTP, parsed to its digits (400 with `field …` otherwise). */
export const phoneNumberField = (field: string, description: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} ${PHONE_FORMAT}`) })
    .describe(description)
    .transform((value, ctx) => {
      const digits = phoneDigits(value);
      if (!digits) {
        ctx.addIssue({ code: 'custom', message: `${field} ${PHONE_FORMAT}` });
        return z.NEVER;
      }
      return digits;
    });

/** GET /api/connections/:id/contacts/check?phone=<number> */
export const CheckContactQuery = z.object({
  phone: phoneNumberField('phone', 'The phone number, with its country code (digits; `+`, spaces and dashes allowed)'),
});

/** POST /api/connections/:id/contacts/check */
export const CheckContactsBody = z.object({
  phones: z
    .array(z.string({ error: `phones ${PHONE_FORMAT}` }), {
      error: (issue) =>
        issue.input === undefined
          ? 'phones is required'
          : `phones must be an array of 1 to ${MAX_NUMBER_CHECKS} phone numbers`,
    })
    .min(1, `phones must be an array of 1 to ${MAX_NUMBER_CHECKS} phone numbers`)
    .max(MAX_NUMBER_CHECKS, `phones must hold at most ${MAX_NUMBER_CHECKS} phone numbers`)
    .describe(`1 to ${MAX_NUMBER_CHECKS} phone numbers, with their country codes`)
    .transform((phones, ctx) => {
      const digits = phones.map(phoneDigits);
      const bad = digits.flatMap((d, i) => (d ? [] : [i]));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `phones[${bad.join(', ')}] ${PHONE_FORMAT}` });
        return z.NEVER;
      }
      return digits as string[];
    }),
});

export const ContactCheck = z.object({
  phone: z.string().describe('The number as checked: its digits.'),
  exists: z.boolean().describe('Whether the number has a WhatsApp account.'),
  chatId: z
    .string()
    .nullable()
    .describe(
      'Where to send to it (`<digits>@c.us`; WhatsApp may give other digits than asked), null when it does not exist.',
    ),
});
export type ContactCheck = z.infer<typeof ContactCheck>;

export const CheckContacts = defineCommand({
  name: 'connection.connection.check-contacts',
  version: 1,
  request: z.object({
    userId: z.uuid(),
    connectionId: z.string(), // the path id: 400 Invalid connection id when malformed
    phones: z.array(z.string().regex(E164_DIGITS)).min(1).max(MAX_NUMBER_CHECKS),
  }),
  reply: z.array(ContactCheck),
  summary: 'Which numbers are on WhatsApp, in the order asked; 409 not linked, 503 while no replica holds the session',
});

export const SessionCheckNumbers = defineCommand({
  name: 'connection.session.check-numbers',
  version: 1,
  request: z.object({
    connectionId: z.uuid(),
    phones: z.array(z.string().regex(E164_DIGITS)).min(1).max(MAX_NUMBER_CHECKS),
  }),
  reply: z.array(
    z.object({
      phone: z.string(),
      exists: z.boolean(),
      jid: z.string().nullable(), // `<digits>@s.whatsapp.net` as WhatsApp answered
    }),
  ),
  summary: 'USync contact query on the live session (owner only), cached briefly; 409 not linked',
});
