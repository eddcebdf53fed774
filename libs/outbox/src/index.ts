export {
  OUTBOX_TABLE_DDL,
  defaultOutboxTable,
  outboxMigration,
  outboxTable,
  outboxTraceMigration,
  type OutboxTable,
} from './table.js';
export { outboxEntry, writeOutbox, type OutboxEntry } from './write.js';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay.js';
export { purgeSent, unsentRows, type OutboxRow } from './rows.js';
