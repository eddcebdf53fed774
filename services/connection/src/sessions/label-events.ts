/**
 * The label events of one Baileys batch (`labels.edit`, `labels.association`; Baileys emits each on its own),
 * against what this connection stored before: the stored label decides between upsert, deleted and nothing, the
 * stored chat labels whether an association changed anything, and the chat events carry the stored label. The
 * stored state is updated as each event is mapped, so a replay of the same changes maps to nothing.
 */
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import { retryWhileUnavailable, type RetryWhileUnavailableOptions, type Sql } from '@wahooks/db';
import { associationChat, editedLabel, mapLabelAssociation, mapLabelEdit, type MappedEvent } from '../events/index.js';
import { getLabel, saveLabel, setChatLabel } from '../labels/labels-repo.js';
import { appendToOutbox, type OutboxEntry } from '../outbox/outbox-repo.js';

export const hasLabelEvents = (events: Partial<BaileysEventMap>): boolean =>
  Boolean(events['labels.edit'] || events['labels.association']);

/**
 * Maps the batch's label events and, in one transaction, stores the label change and appends the events to the
 * outbox (`toOutbox` makes each entry), so the change and its events exist together; retried while Postgres is
 * unreachable. Call it after the batch's earlier batches are written (the outbox keeps their order). Answers how
 * many events were appended.
 */
export async function writeLabelEvents(
  events: Partial<BaileysEventMap>,
  sql: Sql,
  connectionId: string,
  toOutbox: (event: MappedEvent) => OutboxEntry,
  retry?: RetryWhileUnavailableOptions,
): Promise<number> {
  return retryWhileUnavailable(
    () =>
      sql.transaction(async (tx) => {
        const mapped = await labelEvents(events, tx, connectionId);
        return appendToOutbox(tx, connectionId, mapped.map(toOutbox));
      }),
    retry,
  );
}

/** The label events of the batch against the stored labels, storing the change (run it in a transaction). */
export async function labelEvents(
  events: Partial<BaileysEventMap>,
  sql: Sql,
  connectionId: string,
): Promise<MappedEvent[]> {
  const out: MappedEvent[] = [];
  const edit = events['labels.edit'];
  if (edit?.id) {
    const before = await getLabel(sql, connectionId, edit.id);
    out.push(...mapLabelEdit(edit, before));
    await saveLabel(sql, connectionId, editedLabel(edit, before));
  }
  const association = events['labels.association'];
  const chatId = association ? associationChat(association) : undefined;
  if (association && chatId) {
    const { labelId } = association.association;
    const changed = await setChatLabel(sql, connectionId, labelId, chatId, association.type === 'add');
    out.push(...mapLabelAssociation(association, changed, await getLabel(sql, connectionId, labelId)));
  }
  return out;
}
