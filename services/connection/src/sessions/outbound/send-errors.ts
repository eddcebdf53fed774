/** The answers a session-owned send can fail with (the messaging service maps them to HTTP). */
import { AppError, notFound, unavailable } from '@wahooks/contracts';

export const notLinked = () => new AppError(409, 'Connection is not linked: scan the QR code first');

/** The owner holds the session but its socket is down (reconnecting): nothing was sent, try again. */
export const socketDown = () => unavailable('Connection to WhatsApp is reconnecting: nothing was sent, try again', 3);

export const messageNotFound = () => notFound('Message not found');

export const idTaken = () => new AppError(409, 'messageId is already used by another message of this connection');

export const mediaExpired = () => new AppError(422, 'Media expired before it was sent, send again');

export const notOwnMessage = (action: 'edit' | 'revoke') =>
  new AppError(
    422,
    action === 'edit' ? 'Only your own messages can be edited' : 'Only your own messages can be revoked',
  );

/** The send waited behind earlier sends of the chat past its deadline and never started: safe to retry. */
export const queuedTooLong = (ms: number) =>
  unavailable(`Send did not start within ${Math.round(ms / 1000)} s (earlier sends to this chat): nothing was sent`, 5);

/** The send started and did not finish in time: it may or may not reach the chat. Retry with the same id. */
export const outcomeUnknown = (ms: number) =>
  new AppError(504, `Send outcome unknown: WhatsApp did not confirm within ${Math.round(ms / 1000)} s`);

/** WhatsApp (Baileys) refused or failed the send. */
export const sendFailed = (reason: string) => new AppError(502, `WhatsApp did not take the message: ${reason}`);
