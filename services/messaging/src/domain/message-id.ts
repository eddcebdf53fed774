import { randomBytes } from 'node:crypto';

/**
 * A WhatsApp message id in Baileys' format (`3EB0` + upper-case hex), chosen here before the first try so that
 * a retry of a send whose outcome was unknown carries the same id and the session owner can tell it was sent.
 */
export const newMessageId = (): string => `3EB0${randomBytes(16).toString('hex').toUpperCase()}`;
