/**
 * The usage meter: every BILLING_USAGE_INTERVAL_MS it asks the connection service which connections are linked
 * (status working) and records each for that period (connection_hours = the period's length; an hour by
 * default, as the original's hourly job wrote 1.000000). Periods are aligned to the epoch, so every replica
 * samples the same periods and the primary key keeps one row per connection and period. A sample missed while
 * the connection service is down is not made up (usage is informational, not what Stripe charges: slots are).
 */
import { WORKING_PAGE_SIZE } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { PeerServices } from '../adapters/peer-services.js';
import type { UsageRepo } from '../adapters/usage-repo.js';

export interface UsageMeter {
  /** One sample now (tests; the timer calls it too). Resolves with the rows written. */
  sample(): Promise<number>;
  stop(): Promise<void>;
}

export function startUsageMeter(options: {
  peers: PeerServices;
  usage: UsageRepo;
  intervalMs: number;
  logger: Logger;
}): UsageMeter {
  const { peers, usage, intervalMs, logger } = options;
  let running: Promise<number> | undefined;

  async function sampleOnce(): Promise<number> {
    const periodStart = Math.floor(Date.now() / intervalMs) * intervalMs;
    let written = 0;
    let after: string | undefined;
    for (;;) {
      const page = await peers.workingConnections(after);
      written += await usage.record(page, periodStart, intervalMs);
      if (page.length < WORKING_PAGE_SIZE) return written;
      after = page[page.length - 1]!.id;
    }
  }

  const sample = () => {
    running ??= sampleOnce().finally(() => (running = undefined));
    return running;
  };
  const tick = () =>
    sample().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'usage sample failed; skipped'));

  // First sample soon after start (the service is up), then once per period, a little after it begins.
  const first = setTimeout(tick, Math.min(intervalMs, 5000));
  const timer = setInterval(tick, intervalMs);
  first.unref();
  timer.unref();

  return {
    sample,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
