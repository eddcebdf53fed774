import { BillingInit1765400000000 } from './1765400000000-init.js';
import { BillingOutbox1765400000001 } from './1765400000001-outbox.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const billingMigrations = [BillingInit1765400000000, BillingOutbox1765400000001];
