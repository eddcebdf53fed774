import type { Account } from './accounts.js';
import { EmulatorInputError } from './errors.js';

export type FaultKind = 'drop' | 'restart' | 'logout' | 'forbidden' | 'conflict' | 'refuse';

/** Fault names, with the stream-error codes accepted as aliases ('515', '401', '403', '440'). */
const ALIASES: Record<string, FaultKind> = {
  drop: 'drop',
  restart: 'restart',
  '515': 'restart',
  logout: 'logout',
  '401': 'logout',
  forbidden: 'forbidden',
  '403': 'forbidden',
  conflict: 'conflict',
  '440': 'conflict',
  refuse: 'refuse',
};

export const FAULT_KINDS = Object.keys(ALIASES);

export function parseFaultKind(kind: unknown): FaultKind {
  const resolved = typeof kind === 'string' || typeof kind === 'number' ? ALIASES[String(kind)] : undefined;
  if (!resolved) throw new EmulatorInputError(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  return resolved;
}

/**
 * Inject a fault into an account's live connection. Baileys' DisconnectReason for each:
 * drop → 428 connectionClosed, restart → 515 restartRequired, logout → 401 loggedOut (the account stays logged out:
 * later logins fail with 401), forbidden → 403, conflict → 440 connectionReplaced.
 */
export function injectFault(account: Account, kind: Exclude<FaultKind, 'refuse'>): void {
  const connection = account.connection;
  if (!connection?.isOpen) throw new EmulatorInputError(`account ${account.phone} has no open connection`);
  switch (kind) {
    case 'drop':
      connection.terminate();
      return;
    case 'restart':
      connection.streamError('515');
      return;
    case 'logout':
      account.loggedOut = true;
      connection.streamError('401', { tag: 'conflict', attrs: { type: 'device_removed' } });
      return;
    case 'forbidden':
      connection.streamError('403');
      return;
    case 'conflict':
      connection.streamError(undefined, { tag: 'conflict', attrs: { type: 'replaced' } });
      return;
  }
}
