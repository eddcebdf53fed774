import { outboxMigration } from '@wahooks/outbox';

/** `billing.outbox` (@wahooks/outbox): billing.slots.changed is written with the projection change, then relayed. */
export const BillingOutbox1765400000001 = outboxMigration(1765400000001);
