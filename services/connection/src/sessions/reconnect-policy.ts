/**
 * What to do when a socket closes, by Baileys' disconnect status code (`DisconnectReason`).
 * Always a NEW socket on reconnect; never reuse the old one's `ev`.
 */
export type CloseDecision =
  | { action: 'restart'; delayMs: 0 } // 515 after pairing: reconnect at once with the saved creds
  | { action: 'wipe'; reason: string } // 401: the device was removed; creds and keys are useless
  | { action: 'stop'; reason: string } // 403/405/411, or a QR nobody scanned: report, don't loop
  | { action: 'backoff'; delayMs: number } // everything else: reconnect later, with jitter
  | { action: 'none' }; // we ended the socket ourselves

export interface BackoffOptions {
  baseMs?: number; // default 1000
  maxMs?: number; // default 60000
  random?: () => number;
}

/** Exponential, full jitter over the upper half: [cap/2, cap], cap = min(max, base * 2^attempt). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (options.random ?? Math.random)() * (cap / 2));
}

export function decideOnClose(
  statusCode: number | undefined,
  state: { linked: boolean; attempt: number; intentional: boolean },
  options: BackoffOptions = {},
): CloseDecision {
  if (state.intentional || statusCode === undefined) return { action: 'none' };
  switch (statusCode) {
    case 515:
      return { action: 'restart', delayMs: 0 };
    case 401:
      return { action: 'wipe', reason: 'logged out from the phone (401)' };
    case 403:
      return { action: 'stop', reason: 'WhatsApp refused this account (403 forbidden)' };
    case 405:
      return { action: 'stop', reason: 'WhatsApp rejected the client version (405); update WA_VERSION' };
    case 411:
      return { action: 'stop', reason: 'multi-device mismatch (411); link the number again' };
    case 408:
      // Unlinked and timed out: the QR codes ran out with nobody scanning. Don't keep unattended QR sockets.
      if (!state.linked) return { action: 'stop', reason: 'QR code expired without being scanned' };
      return { action: 'backoff', delayMs: backoffDelay(state.attempt, options) };
    default:
      return { action: 'backoff', delayMs: backoffDelay(state.attempt, options) };
  }
}
