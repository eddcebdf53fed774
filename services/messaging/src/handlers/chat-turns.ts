/**
 * Sends to one chat go out in the order the API accepted them, whichever replica took each one, and whatever
 * presence wait each had. Each message has a place (`chat_seq`) in its chat; it may go once no earlier message
 * of that chat still holds its turn (Postgres, so every replica sees the same queue). Waiting is cheap: only the
 * earliest waiter of a chat in this replica asks Postgres, when a message of that chat finishes here (at once)
 * or every POLL_MS (an earlier message held by another replica); the others sleep until they are first.
 */
import { unavailable } from '@wahooks/contracts';
import type { MessagesRepo } from '../adapters/messages-repo.js';

const POLL_MS = 200;

interface Waiter {
  seq: number;
  wake: () => void;
}

export class ChatTurns {
  private readonly chats = new Map<string, Waiter[]>();

  constructor(private readonly messages: MessagesRepo) {}

  /** Resolves when `seq` may send; throws 503 (nothing sent) if that is not so by `giveUpAt` (epoch ms). */
  async wait(connectionId: string, chat: string, seq: number, giveUpAt: number): Promise<void> {
    const key = `${connectionId}|${chat}`;
    const queue = this.chats.get(key) ?? [];
    this.chats.set(key, queue);
    const me: Waiter = { seq, wake: () => undefined };
    const at = queue.findIndex((w) => w.seq > seq);
    queue.splice(at === -1 ? queue.length : at, 0, me);
    try {
      for (;;) {
        const first = queue[0] === me;
        if (first && !(await this.messages.earlierTurnOpen(connectionId, chat, seq))) return;
        const left = giveUpAt - Date.now();
        if (left <= 0)
          throw unavailable(
            'Earlier messages to this chat are still being sent; this one was not sent, retry shortly',
            3,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, first ? Math.min(POLL_MS, left) : left);
          me.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      queue.splice(queue.indexOf(me), 1);
      if (queue.length === 0) this.chats.delete(key);
      else queue[0]!.wake(); // the next one is first now: let it look
    }
  }

  /** A message of this chat gave up its turn (sent, failed or unknown): the first waiter here looks again. */
  released(connectionId: string, chat: string): void {
    this.chats.get(`${connectionId}|${chat}`)?.[0]?.wake();
  }
}
