import type { OutboxRelay } from '@wahooks/outbox';
import type { Logger } from '@wahooks/telemetry';
import type { TokensRepo } from '../adapters/tokens-repo.js';
import type { UsersRepo } from '../adapters/users-repo.js';
import type { LastUsedWriter } from '../last-used-writer.js';

/** What the command handlers need; built once in service.ts. */
export interface HandlerDeps {
  tokens: TokensRepo;
  users: UsersRepo;
  lastUsed: Pick<LastUsedWriter, 'mark'>;
  /** Relays the events the handlers write to the outbox (token.token.revoked). */
  outbox: Pick<OutboxRelay, 'sent'>;
  logger: Logger;
}
