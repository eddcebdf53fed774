/**
 * At most `max` tasks running at once, the rest waiting in order. Bounds the work a noAck consumer starts: the
 * broker's prefetch does not apply to it, so a flood waits here (in memory) instead of running all at once.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Tasks coming back from `outside()`: they get a freed slot before tasks that have not started. */
  private readonly resuming: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /**
   * From inside a task: run `work` (a wait: a timer, another service's answer) with the task's slot given back,
   * then take a slot again (ahead of tasks that have not started) before returning. A task that waits this way
   * does not keep other tasks from running; `max` bounds the tasks doing work, not the ones waiting.
   */
  async outside<T>(work: () => Promise<T>): Promise<T> {
    this.release();
    try {
      return await work();
    } finally {
      if (this.running >= this.max) await new Promise<void>((resolve) => this.resuming.push(resolve));
      else this.running++;
    }
  }

  private release(): void {
    const next = this.resuming.shift() ?? this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next task
    else this.running--;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
