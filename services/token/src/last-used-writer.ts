/**
 * Records token use without slowing verify: `mark()` only touches a Map; a timer writes the batch in one
 * UPDATE every `intervalMs`, and `stop()` writes whatever is left. A failed write keeps the batch for the next
 * tick (newest timestamp wins), so a database blip loses nothing but a little freshness.
 */
import type { Logger } from '@wahooks/telemetry';

export interface LastUsedStore {
  touchLastUsed(usage: ReadonlyMap<string, Date>): Promise<void>;
}

export class LastUsedWriter {
  private pending = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: LastUsedStore,
    private readonly intervalMs: number,
    private readonly logger?: Logger,
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

  /** Write the current batch; concurrent calls share one write. */
  flush(): Promise<void> {
    this.flushing ??= this.writeBatch().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.touchLastUsed(batch);
    } catch (err) {
      for (const [id, at] of batch) {
        const newer = this.pending.get(id);
        if (!newer || newer < at) this.pending.set(id, at);
      }
      this.logger?.warn({ err, tokens: batch.size }, 'lastUsedAt write failed; retrying on the next tick');
    }
  }
}
