/**
 * At most `max` tasks running at once, the rest waiting in order. Bounds the work a noAck consumer starts: the
 * broker's prefetch does not apply to it, so a flood waits here (in memory) instead of running all at once.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next task
      else this.running--;
    }
  }

  get queued(): number {
    return this.waiting.length;
  }
}
