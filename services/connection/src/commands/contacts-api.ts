/** Number checks (GET/POST /api/connections/:id/contacts/check), answered by any replica, looked up by the holder. */
import { handle, type Broker, type CommandBinding } from '@wahooks/broker';
import { CheckContacts } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { toChatId } from '../events/index.js';
import { askHolder, linkedConnection } from './linked-connection.js';

export function contactsApi(deps: { sql: Sql; broker: Broker }): CommandBinding[] {
  const { sql, broker } = deps;
  return [
    handle(CheckContacts, async ({ userId, connectionId, phones }) => {
      const row = await linkedConnection(sql, userId, connectionId);
      const checks = await askHolder(broker, row.id, 'checkNumbers', { phones });
      return checks.map((c) => ({ phone: c.phone, exists: c.exists, chatId: c.exists ? toChatId(c.jid) : null }));
    }),
  ];
}
