/**
 * Media bytes in Redis for the session owner to read (`MediaRef.key`, the full key). Why Redis: no broker
 * message may carry more than 1 MB, a 100 MB document must still send, and the bytes are needed exactly once,
 * minutes at most after they arrive; every replica of both services reaches Redis. The owner deletes a key
 * after its send; the TTL removes what no send read (a refused send deletes its own at once).
 */
import { RESP_TYPES, createClient } from 'redis';
import { unavailable } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';

export function createRedis(url: string, logger: Logger) {
  const redis = createClient({
    url,
    disableOfflineQueue: true, // a command while disconnected fails at once (503) instead of waiting
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(200 * 2 ** retries, 5000) },
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: err.message }, 'Redis unavailable; media sends fail with 503 until it is back');
    warned = true;
  });
  redis.on('ready', () => {
    if (warned) logger.info('Redis connection restored');
    warned = false;
  });
  return redis;
}

export type MessagingRedis = ReturnType<typeof createRedis>;

const down = () => unavailable('Media staging is unavailable, retry shortly');

export class MediaStage {
  private readonly bytes;

  constructor(
    private readonly redis: MessagingRedis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.bytes = redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  }

  /** Stages `bytes` for one send; returns the full key. */
  async put(messageId: string, bytes: Buffer): Promise<string> {
    const key = `${this.prefix}messaging:media:${messageId}:${Date.now().toString(36)}`;
    try {
      await this.redis.set(key, bytes, { expiration: { type: 'EX', value: this.ttlSeconds } });
    } catch {
      throw down();
    }
    return key;
  }

  /** Bytes at `key` (0 when missing: nothing is ever staged empty). */
  async size(key: string): Promise<number> {
    try {
      return await this.redis.strLen(key);
    } catch {
      throw down();
    }
  }

  /** The first `n` bytes at `key`. */
  async head(key: string, n: number): Promise<Buffer> {
    try {
      return (await this.bytes.getRange(key, 0, n - 1)) as unknown as Buffer;
    } catch {
      throw down();
    }
  }

  /** Best effort: a key left behind expires by its TTL. */
  async drop(key: string): Promise<void> {
    await this.redis.del(key).catch(() => undefined);
  }
}
