import { outboxMigration } from '@wahooks/outbox';

/** `token.outbox` (@wahooks/outbox): token.token.revoked is written with the revoke, then relayed. */
export const TokenOutbox1764270000000 = outboxMigration(1764270000000);
