import type { EventHandler } from '@wahooks/broker';
import type { TokensUsed } from '@wahooks/contracts';
import type { LastUsedWriter } from '../last-used-writer.js';

/** gateway.token.used: uses a gateway answered from its auth cache join the batched lastUsedAt write. */
export const onTokensUsed =
  (lastUsed: Pick<LastUsedWriter, 'mark'>): EventHandler<typeof TokensUsed> =>
  async ({ tokenIds, at }) => {
    // Never in the future: a gateway's clock may run ahead of ours.
    const when = new Date(Math.min(Date.parse(at), Date.now()));
    for (const id of tokenIds) lastUsed.mark(id, when);
  };
