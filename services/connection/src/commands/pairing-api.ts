/** POST /api/connections/:id/pair-code, answered by any replica: checks here, the code from the holder. */
import { handle, type Broker, type CommandBinding } from '@wahooks/broker';
import { RequestPairingCode } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { setConnectionStatus } from '../connections/connections-repo.js';
import { alreadyLinked } from '../sessions/pairing-commands.js';
import { askHolder, liveConnection } from './linked-connection.js';

export function pairingApi(deps: { sql: Sql; broker: Broker }): CommandBinding[] {
  const { sql, broker } = deps;
  return [
    handle(RequestPairingCode, async ({ userId, connectionId, phoneNumber }) => {
      const row = await liveConnection(sql, userId, connectionId);
      if (row.status === 'working') throw alreadyLinked();
      // a failed connection starts over (as GET …/qr does): a replica claims it and the client retries (503)
      if (row.status === 'failed') await setConnectionStatus(sql, row.id, 'pending');
      return askHolder(broker, row.id, 'pairCode', { phone: phoneNumber }, 20_000);
    }),
  ];
}
