/** Labels (GET /api/connections/:id/labels, …/labels/:labelId/chats), answered by any replica from Postgres. */
import { handle, type CommandBinding } from '@wahooks/broker';
import { ListLabelChats, ListLabels, notFound } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { ownedConnection } from '../connections/connections-repo.js';
import { toWahaLabel } from '../events/index.js';
import { getLabel, listLabelChats, listLabels } from '../labels/labels-repo.js';

export function labelsApi(deps: { sql: Sql }): CommandBinding[] {
  const { sql } = deps;
  return [
    handle(ListLabels, async ({ userId, connectionId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      return (await listLabels(sql, row.id)).map(toWahaLabel);
    }),
    handle(ListLabelChats, async ({ userId, connectionId, labelId }) => {
      const row = await ownedConnection(sql, userId, connectionId);
      const label = await getLabel(sql, row.id, labelId);
      if (!label || label.deleted) throw notFound('Label not found');
      return (await listLabelChats(sql, row.id, labelId)).map((id) => ({ id }));
    }),
  ];
}
