import type { Broker } from '@wahooks/broker';
import type { BoundedFetcher } from '@wahooks/outbound-http';
import type { Logger } from '@wahooks/telemetry';
import type { ConnectionsRepo } from '../adapters/connections-repo.js';
import type { IdempotencyRepo } from '../adapters/idempotency-repo.js';
import type { MediaStage } from '../adapters/media-stage.js';
import type { MessagesRepo } from '../adapters/messages-repo.js';
import type { SessionOwner } from '../adapters/session-owner.js';
import type { MessagingConfig } from '../config.js';
import type { ChatTurns } from './chat-turns.js';
import type { ConnectionAccess } from './connection-access.js';

/** What the handlers need; built once in service.ts. */
export interface HandlerDeps {
  config: MessagingConfig;
  broker: Broker;
  logger: Logger;
  connections: ConnectionsRepo;
  access: ConnectionAccess;
  messages: MessagesRepo;
  idempotency: IdempotencyRepo;
  media: MediaStage;
  fetcher: BoundedFetcher;
  owner: SessionOwner;
  turns: ChatTurns;
}
