/** `token create|list|revoke`: one broker request each to the token service. */
import type { Broker } from '@wahooks/broker';
import { CreateToken, ListTokens, RevokeToken } from '@wahooks/contracts';
import type { CliCommand } from '../args.js';
import { table, type CliIo } from '../output.js';

type TokenCommand = Extract<CliCommand, { kind: `token.${string}` }>;

export async function runTokenCommand(cmd: TokenCommand, broker: Broker, io: CliIo, timeoutMs: number): Promise<void> {
  switch (cmd.kind) {
    case 'token.create': {
      const t = await broker.request(CreateToken, { userId: cmd.userId, name: cmd.name }, { timeoutMs });
      io.stdout(`${t.token}\n`);
      io.stderr(
        `Created token "${t.name}" (id ${t.id}) for user ${cmd.userId}. It is shown only once: store it now.\n` +
          `Use it as:  curl -H "Authorization: Bearer <token>" http://localhost:3000/api/tokens\n`,
      );
      return;
    }
    case 'token.list': {
      const tokens = await broker.request(ListTokens, { userId: cmd.userId }, { timeoutMs });
      if (cmd.json) return io.stdout(`${JSON.stringify(tokens, null, 2)}\n`);
      if (tokens.length === 0) return io.stderr(`No active tokens for user ${cmd.userId}.\n`);
      io.stdout(
        table([
          ['ID', 'NAME', 'PREFIX', 'LAST USED', 'CREATED'],
          ...tokens.map((t) => [t.id, t.name, t.tokenPrefix, t.lastUsedAt ?? 'never', t.createdAt]),
        ]),
      );
      return;
    }
    case 'token.revoke': {
      await broker.request(RevokeToken, { userId: cmd.userId, tokenId: cmd.tokenId }, { timeoutMs });
      io.stdout(`Revoked token ${cmd.tokenId}\n`);
      return;
    }
  }
}
