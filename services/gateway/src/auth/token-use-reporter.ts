/**
 * Every successful use of a wh_ token sets its lastUsedAt. Uses answered from the auth cache never
 * reach the token service, so they are collected here (a Map set on the hot path, no I/O) and published as
 * `gateway.token.used` about once per `intervalMs`, fire-and-forget. A failed publish is logged and the batch
 * dropped: lastUsedAt is a best-effort timestamp, and the next use marks the token again.
 */
import type { Broker } from '@wahooks/broker';
import { TOKENS_USED_MAX_IDS, TokensUsed } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';

export interface TokenUseSink {
  mark(tokenId: string): void;
}

export class TokenUseReporter implements TokenUseSink {
  private pending = new Set<string>();
  private newest = 0; // ms epoch of the latest mark in `pending`
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly events: Pick<Broker, 'publish'>,
    private readonly intervalMs: number,
    private readonly logger?: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref(); // never keeps the process alive on its own
  }

  mark(tokenId: string, now = Date.now()): void {
    this.pending.add(tokenId);
    if (now > this.newest) this.newest = now;
  }

  /** Publish what was marked since the last flush, without waiting for it (never throws). */
  flush(): void {
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    const at = new Date(this.newest).toISOString();
    this.pending = new Set();
    this.newest = 0;
    for (let i = 0; i < ids.length; i += TOKENS_USED_MAX_IDS) {
      const tokenIds = ids.slice(i, i + TOKENS_USED_MAX_IDS);
      const sent = this.events.publish(TokensUsed, { tokenIds, at }).then(
        () => undefined,
        (err: unknown) =>
          this.logger?.warn(
            { err: err instanceof Error ? err.message : String(err), tokens: tokenIds.length },
            'token use report not published; lastUsedAt of these tokens lags until their next use',
          ),
      );
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  }

  /** Stop the timer and publish the last batch, waiting at most `waitMs` (a broker outage must not stall a drain). */
  async stop(waitMs = 1000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.inFlight), new Promise((resolve) => (timeout = setTimeout(resolve, waitMs)))]);
    clearTimeout(timeout);
  }
}
