import { z } from 'zod';
import { dbVacuumEnv, envInt, metricsPortEnv, sharedEnv } from '@wahooks/config';

const MiB = 1024 * 1024;

/**
 * Media size defaults are WhatsApp's own (WhatsApp Business Platform, Cloud API reference, "Supported media
 * types"): images 5 MB, video and audio 16 MB, documents 100 MB; read here as MiB.
 */
export const MessagingConfigSchema = z.object({
  ...sharedEnv,
  /** Internal Prometheus port (/metrics; 9104, `off` = none). */
  ...metricsPortEnv('messaging'),
  /** DB_VACUUM: auto (default) | on | off: vacuum of this service's busiest tables (see @wahooks/config). */
  ...dbVacuumEnv,
  /** Prefix of this service's Redis keys (staged media). */
  REDIS_PREFIX: z.string().default(''),
  /** Commands doing work at once per instance (AMQP prefetch; sends waiting on presence or a turn hold none). */
  MESSAGING_PREFETCH: envInt(64, 1),
  /** Events (acks, connection status) handled at once per instance. */
  MESSAGING_EVENTS_PREFETCH: envInt(100, 1),
  MESSAGING_DB_POOL_SIZE: envInt(10, 1),
  /** ms the session owner has to answer a send; no answer → 504, outcome unknown. */
  MESSAGING_SEND_TIMEOUT_MS: envInt(45_000, 100),
  /** Multiplies the presence wait (1000 + random·2000 + min(len·50, 5000) ms); 1 = the original's timing. */
  MESSAGING_PRESENCE_SCALE: z.coerce.number().min(0).max(10).default(1),
  /** Days a sent message's status is kept (GET …/messages/:id); idempotency keys are kept 24 h. */
  MESSAGING_RETENTION_DAYS: envInt(30, 1),
  /** Largest media per kind, bytes; more → 413. */
  MEDIA_MAX_IMAGE_BYTES: envInt(5 * MiB, 1),
  MEDIA_MAX_VIDEO_BYTES: envInt(16 * MiB, 1),
  MEDIA_MAX_AUDIO_BYTES: envInt(16 * MiB, 1),
  MEDIA_MAX_DOCUMENT_BYTES: envInt(100 * MiB, 1),
  /** Media by URL: ms to resolve and connect, ms for the whole download (redirects included). */
  MEDIA_FETCH_CONNECT_TIMEOUT_MS: envInt(5000, 1),
  MEDIA_FETCH_TIMEOUT_MS: envInt(30_000, 1),
  /** Redirects followed when fetching media (each target checked again). */
  MEDIA_FETCH_MAX_REDIRECTS: envInt(3, 0, 10),
  /** s staged media bytes live in Redis if the send never reads them. */
  MEDIA_STAGE_TTL_S: envInt(900, 10),
  /** Hosts (exact names or IP literals) that may be fetched although they resolve to private addresses. */
  OUTBOUND_ALLOWED_HOSTS: z.string().default(''),
});

export type MessagingConfig = z.output<typeof MessagingConfigSchema>;
