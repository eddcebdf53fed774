/**
 * One serial queue per chat: the sends (and typing/read signals) for one chat run one at a time, in the order
 * they were queued, while different chats run side by side. A queue entry is dropped once it drains.
 */
export class ChatQueues {
  private readonly tails = new Map<string, Promise<void>>();

  /** Queue `task` behind everything queued for `chat` so far; it starts when they have all settled. */
  run<T>(chat: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(chat) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(chat, tail);
    void tail.then(() => {
      if (this.tails.get(chat) === tail) this.tails.delete(chat);
    });
    return result;
  }

  /** Chats with queued or running work (diagnostics, tests). */
  get busy(): number {
    return this.tails.size;
  }
}
