import type { Broker } from '@wahooks/broker';
import type { Logger } from '@wahooks/telemetry';
import type { TokensRepo } from '../adapters/tokens-repo.js';
import type { UsersRepo } from '../adapters/users-repo.js';
import type { LastUsedWriter } from '../last-used-writer.js';

/** What the command handlers need; built once in service.ts. */
export interface HandlerDeps {
  tokens: TokensRepo;
  users: UsersRepo;
  lastUsed: Pick<LastUsedWriter, 'mark'>;
  events: Pick<Broker, 'publish'>;
  logger: Logger;
}
