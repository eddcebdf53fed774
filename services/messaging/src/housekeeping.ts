/** Deletes idempotency keys past their 24 h and messages past MESSAGING_RETENTION_DAYS, every few minutes. */
import type { Logger } from '@wahooks/telemetry';
import type { IdempotencyRepo } from './adapters/idempotency-repo.js';
import type { MessagesRepo } from './adapters/messages-repo.js';

const EVERY_MS = 10 * 60 * 1000;

export function startHousekeeping(
  deps: { idempotency: IdempotencyRepo; messages: MessagesRepo; retentionDays: number; logger: Logger },
  everyMs = EVERY_MS,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      try {
        const keys = await deps.idempotency.purgeExpired();
        const messages = await deps.messages.purgeOlderThan(deps.retentionDays);
        if (keys || messages) deps.logger.info({ keys, messages }, 'housekeeping: expired rows deleted');
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'housekeeping failed; next round retries');
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
