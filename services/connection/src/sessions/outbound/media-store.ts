/**
 * The bytes of one outbound media message, staged in Redis by the messaging service (MediaRef.key, a short
 * TTL). The owner reads them as a Buffer and hands that Buffer to Baileys: never a URL or a path, which Baileys
 * would fetch or read from disk. The key is deleted once the message is sent (the TTL covers failures).
 */
import { RESP_TYPES, type RedisClientType } from 'redis';

export interface MediaStore {
  /** The staged bytes, or undefined when the key is gone (expired, or already sent and deleted). */
  read(key: string): Promise<Buffer | undefined>;
  remove(key: string): Promise<void>;
}

export function redisMediaStore(redis: RedisClientType): MediaStore {
  // Blob replies as Buffers: media is binary, a UTF-8 string would corrupt it.
  const binary = redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  return {
    async read(key) {
      const value = await binary.get(key);
      return value ?? undefined;
    },
    async remove(key) {
      await redis.del(key);
    },
  };
}
