import { InitWebhookDelivery1764230000000 } from './1764230000000-init.js';
import { PendingSweepIndex1764240000000 } from './1764240000000-pending-sweep-index.js';
import { DisableOutbox1764250000000 } from './1764250000000-disable-outbox.js';
import { RetentionIndexes1764260000000 } from './1764260000000-retention-indexes.js';
import { Outbox1764270000000 } from './1764270000000-outbox.js';
import { PendingDeliveries1764280000000 } from './1764280000000-pending-deliveries.js';

/** In order; never edit a migration that has shipped, add the next one. */
export const webhookDeliveryMigrations = [
  InitWebhookDelivery1764230000000,
  PendingSweepIndex1764240000000,
  DisableOutbox1764250000000,
  RetentionIndexes1764260000000,
  Outbox1764270000000,
  PendingDeliveries1764280000000,
];
