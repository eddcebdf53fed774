/** The event stream's variables (`GET /api/ws`), spread into the gateway's environment schema (config.ts). */
import { z } from 'zod';
import { envInt, publicApiUrlEnv } from '@wahooks/config';

export const streamEnv = {
  /** Public base URL of this API: media URLs in streamed messages point at `${PUBLIC_API_URL}/api/connections/…`. */
  ...publicApiUrlEnv,
  /**
   * How long the stream keeps events for resumes (`after=`): RabbitMQ's x-max-age syntax (`10m`, `1h`, `2D`). Read
   * when the stream is first declared; to change it on an existing stream, set a RabbitMQ policy (max-age).
   */
  STREAM_RETENTION: z
    .string()
    .regex(/^[1-9]\d*(Y|M|D|h|m|s)$/, 'expected a RabbitMQ max-age such as 10m, 1h or 7D')
    .default('10m'),
  /**
   * Bytes a socket may have waiting to be written before it is closed with 4008 (a client that does not read).
   * Bounds the gateway's memory per socket; the client resumes with `after=`.
   */
  STREAM_MAX_BUFFERED_BYTES: envInt(256 * 1024, 1024),
  /** ms between pings; a socket that has not answered the previous ping by the next one is dropped. */
  STREAM_PING_MS: envInt(30_000, 50),
  /** Resumes (`after=`) that read the stream at once per gateway; the others wait their turn, buffering live events. */
  STREAM_MAX_REPLAYS: envInt(8, 1),
  /**
   * ms a resume reads before the time in its `after` id: covers clock skew between the service that made the id and
   * RabbitMQ, and the granularity (1 s) of a stream's timestamp offsets.
   */
  STREAM_CLOCK_SKEW_MS: envInt(5000, 0),
};
