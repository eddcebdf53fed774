/**
 * The labels of each connection and the chats they are on (tables of migrations/1764450000000-labels.ts). Chat
 * ids are stored as WAHA prints them (`<digits>@c.us`, `<id>@g.us`).
 */
import type { Sql } from '@wahooks/db';
import type { KnownLabel } from '../events/map-label-events.js';

interface LabelRow {
  label_id: string;
  name: string;
  color: number;
  deleted: boolean;
}

const toLabel = (r: LabelRow): KnownLabel => ({ id: r.label_id, name: r.name, color: r.color, deleted: r.deleted });

export async function getLabel(sql: Sql, connectionId: string, labelId: string): Promise<KnownLabel | undefined> {
  const rows = await sql.query<LabelRow>(
    'SELECT label_id, name, color, deleted FROM connection.labels WHERE connection_id = $1 AND label_id = $2',
    [connectionId, labelId],
  );
  return rows[0] ? toLabel(rows[0]) : undefined;
}

export async function saveLabel(sql: Sql, connectionId: string, label: KnownLabel): Promise<void> {
  await sql.query(
    `INSERT INTO connection.labels (connection_id, label_id, name, color, deleted) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (connection_id, label_id)
     DO UPDATE SET name = $3, color = $4, deleted = $5, updated_at = now()`,
    [connectionId, label.id, label.name, label.color, label.deleted],
  );
}

/** Labels not deleted, by id (numerically, as WhatsApp numbers them). */
export async function listLabels(sql: Sql, connectionId: string): Promise<KnownLabel[]> {
  const rows = await sql.query<LabelRow>(
    `SELECT label_id, name, color, deleted FROM connection.labels WHERE connection_id = $1 AND NOT deleted
     ORDER BY length(label_id), label_id`,
    [connectionId],
  );
  return rows.map(toLabel);
}

/** Puts the label on the chat (`labeled`) or takes it off; whether that changed anything. */
export async function setChatLabel(
  sql: Sql,
  connectionId: string,
  labelId: string,
  chatId: string,
  labeled: boolean,
): Promise<boolean> {
  const rows = labeled
    ? await sql.query(
        `INSERT INTO connection.label_chats (connection_id, label_id, chat_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [connectionId, labelId, chatId],
      )
    : await sql.query(
        'DELETE FROM connection.label_chats WHERE connection_id = $1 AND label_id = $2 AND chat_id = $3 RETURNING 1',
        [connectionId, labelId, chatId],
      );
  return rows.length > 0;
}

/** The chats a label is on, by chat id. */
export async function listLabelChats(sql: Sql, connectionId: string, labelId: string): Promise<string[]> {
  const rows = await sql.query<{ chat_id: string }>(
    'SELECT chat_id FROM connection.label_chats WHERE connection_id = $1 AND label_id = $2 ORDER BY chat_id',
    [connectionId, labelId],
  );
  return rows.map((r) => r.chat_id);
}

/** Everything of a connection (logout, delete). */
export async function forgetLabels(sql: Sql, connectionId: string): Promise<void> {
  await sql.query('DELETE FROM connection.label_chats WHERE connection_id = $1', [connectionId]);
  await sql.query('DELETE FROM connection.labels WHERE connection_id = $1', [connectionId]);
}
