import { jidEncode } from '@whiskeysockets/baileys';
import type { Account } from '../accounts.js';
import type { ServerContext } from '../context.js';
import type { OutboundRecord } from '../outbound-record.js';
import { nowSeconds } from './reply.js';

export type ReceiptStatus = 'server' | 'delivered' | 'read' | 'played';

// Baileys: no type → DELIVERY_ACK (3), read → READ (4), played → PLAYED (5), sender → SERVER_ACK (2)
const RECEIPT_TYPE: Record<ReceiptStatus, string | undefined> = {
  server: 'sender',
  delivered: undefined,
  read: 'read',
  played: 'played',
};

/** The contact's device sends a receipt for a message the linked client sent (queued while it is offline). */
export function sendContactReceipt(
  ctx: ServerContext,
  account: Account,
  record: OutboundRecord,
  status: ReceiptStatus,
): void {
  if (status !== 'server') record.status = status;
  const type = RECEIPT_TYPE[status];
  ctx.deliver(account, async (connection, offline) => {
    connection.sendNode({
      tag: 'receipt',
      attrs: {
        from: jidEncode(record.to, 's.whatsapp.net'),
        id: record.id,
        t: `${nowSeconds()}`,
        ...(type ? { type } : {}),
        ...(offline ? { offline: '1' } : {}),
      },
    });
  });
}
