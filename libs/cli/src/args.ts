/** argv → a validated command, or a UsageError carrying the message to print. */
import { parseArgs } from 'node:util';
import { UserId } from '@wahooks/contracts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'token.create'; userId: string; name: string; timeoutMs?: number }
  | { kind: 'token.list'; userId: string; json: boolean; timeoutMs?: number }
  | { kind: 'token.revoke'; userId: string; tokenId: string; timeoutMs?: number };

export const DEFAULT_TOKEN_NAME = 'cli';

const options = {
  user: { type: 'string' },
  name: { type: 'string' },
  id: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util reports unknown options and missing option values as TypeErrors with readable messages.
    throw new UsageError((err as Error).message);
  }
}

function requireUser(value: string | undefined): string {
  if (value === undefined) throw new UsageError('--user <uuid> is required');
  if (!UserId.safeParse(value).success) throw new UsageError(`--user must be a uuid, got "${value}"`);
  return value;
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds`);
  return ms;
}

export function parseCommand(argv: string[]): CliCommand {
  const { values, positionals } = parse(argv);
  if (values.help || positionals[0] === 'help') return { kind: 'help' };
  const [area, verb, ...extra] = positionals;
  if (area === undefined) throw new UsageError('no command given');
  if (area !== 'token') throw new UsageError(`unknown command "${area}"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const timeoutMs = parseTimeout(values.timeout);
  switch (verb) {
    case 'create': {
      const name = values.name ?? DEFAULT_TOKEN_NAME;
      if (name.trim() === '') throw new UsageError('--name must not be blank');
      return { kind: 'token.create', userId: requireUser(values.user), name, timeoutMs };
    }
    case 'list':
      return { kind: 'token.list', userId: requireUser(values.user), json: values.json ?? false, timeoutMs };
    case 'revoke': {
      const userId = requireUser(values.user);
      if (!values.id) throw new UsageError('--id <tokenId> is required');
      return { kind: 'token.revoke', userId, tokenId: values.id, timeoutMs };
    }
    case undefined:
      throw new UsageError('token: missing subcommand (create, list or revoke)');
    default:
      throw new UsageError(`unknown command "token ${verb}"`);
  }
}
