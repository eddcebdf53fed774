/**
 * Records token use without slowing verify: `mark()` only touches a Map; a timer writes the batch in one
 * UPDATE every `intervalMs`, and `stop()` writes whatever is left. A failed write keeps the batch for the next
 * tick (newest timestamp wins), so a database blip loses nothing but a little freshness. `stop()` keeps
 * trying for up to `stopRetryMs` while Postgres is unreachable, then logs what it could not write.
 */
import { isDatabaseUnavailable } from '@wahooks/db';
import type { Logger } from '@wahooks/telemetry';

export interface LastUsedStore {
  touchLastUsed(usage: ReadonlyMap<string, Date>): Promise<void>;
}

export class LastUsedWriter {
  private pending = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<unknown> | undefined;
  private failures = 0; // writes failed in a row

  constructor(
    private readonly store: LastUsedStore,
    private readonly intervalMs: number,
    private readonly logger?: Logger,
    private readonly stopRetryMs = 5000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref(); // never keeps the process alive on its own
  }

  /** Marks arrive out of order (verify here, cached uses reported late by gateways): the newest wins. */
  mark(tokenId: string, at = new Date()): void {
    const known = this.pending.get(tokenId);
    if (!known || known < at) this.pending.set(tokenId, at);
  }

  /** Write the current batch; concurrent calls share one write. Resolves with the error when it failed (kept). */
  flush(): Promise<unknown> {
    this.flushing ??= this.writeBatch().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    const deadline = Date.now() + this.stopRetryMs;
    for (;;) {
      const error = await this.flush();
      if (!error || this.pending.size === 0) return;
      if (!isDatabaseUnavailable(error) || Date.now() >= deadline) {
        this.logger?.error({ err: error, tokens: this.pending.size }, 'lastUsedAt not written at shutdown');
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(200, this.stopRetryMs)));
    }
  }

  private async writeBatch(): Promise<unknown> {
    if (this.pending.size === 0) return undefined;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.touchLastUsed(batch);
      this.failures = 0;
      return undefined;
    } catch (err) {
      for (const [id, at] of batch) {
        const newer = this.pending.get(id);
        if (!newer || newer < at) this.pending.set(id, at);
      }
      // The first failure, then one line in 30: an outage must not log every tick.
      if (this.failures++ % 30 === 0)
        this.logger?.warn(
          { err, tokens: batch.size, failures: this.failures },
          'lastUsedAt write failed; retrying on the next tick',
        );
      return err;
    }
  }
}
