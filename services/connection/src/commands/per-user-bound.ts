/**
 * A per-user bound on concurrent slow commands on this replica. Get-or-create waits up to 20 s for a QR, media
 * waits for the owner's download, delete and restart for the owner's logout/relink: each holds one of the RPC
 * server's handler slots (`prefetch`, 32 by default) while it waits. Without a bound, one tenant sending a burst
 * of them occupies every slot of a replica and every other tenant's commands queue behind theirs. Past the bound
 * the command answers 429 at once, before doing anything.
 */
import type { CommandBinding } from '@wahooks/broker';
import { AppError, type AnyCommand } from '@wahooks/contracts';

export function boundPerUser(bindings: CommandBinding[], slow: readonly AnyCommand[], max: number): CommandBinding[] {
  const running = new Map<string, number>(); // userId → slow commands in progress
  const names = new Set(slow.map((c) => c.name));
  return bindings.map((b) =>
    names.has(b.command.name)
      ? {
          ...b,
          handler: async (request: { userId: string }, ctx) => {
            const n = running.get(request.userId) ?? 0;
            if (n >= max)
              throw new AppError(
                429,
                `Too many slow requests in progress for this user (at most ${max} at once); retry when one has finished`,
                { 'Retry-After': '2' },
              );
            running.set(request.userId, n + 1);
            try {
              return await b.handler(request, ctx);
            } finally {
              const left = (running.get(request.userId) ?? 1) - 1;
              if (left > 0) running.set(request.userId, left);
              else running.delete(request.userId);
            }
          },
        }
      : b,
  );
}
