/**
 * Retiring a durable queue that a new topology replaces under another name (a queue's type or arguments cannot
 * change: RabbitMQ refuses the re-declare with PRECONDITION_FAILED). Each step runs on a one-off channel, because
 * the server closes the channel of a refused operation (404 for a missing queue, 406 for a non-empty delete).
 */
import type { Channel } from 'amqplib';
import type { BrokerCore } from './core.js';
import type { RetireOutcome } from './types.js';

const isCode = (err: unknown, code: number) => (err as { code?: number }).code === code;

async function onChannel<T>(core: BrokerCore, op: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await core.connection.openChannel();
  try {
    return await op(ch);
  } finally {
    await ch.close().catch(() => undefined); // already closed by the server after a refusal
  }
}

/**
 * Moves the ready messages of `queue` to `moveTo` (when given, through the default exchange, each one confirmed
 * before its original is acked), then deletes `queue` if it is empty and has no consumer. Names are un-namespaced.
 * A message published between that check and the delete is lost: retire only queues nothing publishes to any
 * more, or whose messages have another durable copy (webhook-delivery: the Postgres row and its stale sweep).
 */
export async function retireQueue(core: BrokerCore, raw: string, moveTo?: string): Promise<RetireOutcome> {
  const queue = core.name(raw);
  const found = await onChannel(core, (ch) => ch.checkQueue(queue)).catch((err: unknown) => {
    if (isCode(err, 404)) return null;
    throw err;
  });
  if (!found) return { state: 'absent', moved: 0 };
  let moved = 0;
  if (moveTo && found.messageCount > 0) {
    moved = await onChannel(core, async (ch) => {
      let n = 0;
      for (let msg = await ch.get(queue); msg; msg = await ch.get(queue)) {
        await core.publisher.publish('', core.name(moveTo), msg.content, { ...msg.properties }, core.publishWaitMs);
        ch.ack(msg);
        n++;
      }
      return n;
    });
  }
  // Quorum queues refuse queue.delete with if-empty or if-unused, and by closing the whole connection (540
  // NOT_IMPLEMENTED, measured on 3.10): check, then delete unconditionally.
  const now = await onChannel(core, (ch) => ch.checkQueue(queue));
  if (now.messageCount > 0 || now.consumerCount > 0) {
    return { state: 'kept', moved, messages: now.messageCount, consumers: now.consumerCount };
  }
  await onChannel(core, (ch) => ch.deleteQueue(queue));
  return { state: 'deleted', moved };
}
