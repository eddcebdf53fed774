import type { MessageStatus } from '@wahooks/contracts';

/**
 * Statuses only move forward (pending → sent → delivered → read → played); receipts can arrive late or twice,
 * and Baileys' event buffer may skip one. `failed` replaces pending or sent only.
 */
export const FORWARD: readonly MessageStatus[] = ['pending', 'sent', 'delivered', 'read', 'played'];

/** `message.ack` numbers (WAHA's: Baileys' status − 1) → status; 0 (PENDING) says nothing new. */
export function statusOfAck(ack: number): MessageStatus | undefined {
  switch (ack) {
    case -1:
      return 'failed';
    case 1:
      return 'sent';
    case 2:
      return 'delivered';
    case 3:
      return 'read';
    case 4:
      return 'played';
    default:
      return undefined;
  }
}
