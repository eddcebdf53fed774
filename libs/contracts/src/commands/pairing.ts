/**
 * Pairing by phone-number code (docs/api.md), for servers with no screen to show a QR: the holder of the session
 * asks WhatsApp for an 8-character code, the user types it on the phone (Linked devices → Link with phone number),
 * and the connection becomes `connected` as with a QR.
 */
import { z } from 'zod';
import { defineCommand } from '../define.js';
import { E164_DIGITS, phoneNumberField } from './contacts.js';

/** POST /api/connections/:id/pair-code */
export const PairCodeBody = z.object({
  phoneNumber: phoneNumberField(
    'phoneNumber',
    'The number of the phone that will be linked, with its country code (e.g. +15551234567)',
  ),
});

/** `ABCD-EFGH`: what the phone asks for (WhatsApp's alphabet: digits and capitals). */
export const PAIRING_CODE_PATTERN = /^[0-9A-Z]{4}-[0-9A-Z]{4}$/;

export const PairingCode = z.object({
  code: z
    .string()
    .regex(PAIRING_CODE_PATTERN)
    .describe('Type it on the phone: WhatsApp → Linked devices → Link a device → Link with phone number instead.'),
});

export const RequestPairingCode = defineCommand({
  name: 'connection.connection.pair-code',
  version: 1,
  request: z.object({
    userId: z.uuid(),
    connectionId: z.string(), // the path id: 400 Invalid connection id when malformed
    phoneNumber: z.string().regex(E164_DIGITS),
  }),
  reply: PairingCode,
  summary: 'A pairing code for the phone number; 409 already linked, 503 while the session is not ready to pair',
});

export const SessionPairCode = defineCommand({
  name: 'connection.session.pair-code',
  version: 1,
  request: z.object({ connectionId: z.uuid(), phone: z.string().regex(E164_DIGITS) }),
  reply: PairingCode,
  summary: 'Ask WhatsApp for a pairing code on the live registration socket (owner only); 409 already linked',
});
