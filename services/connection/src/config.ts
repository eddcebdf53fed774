import { z } from 'zod';
import { envInt, publicApiUrlEnv, sharedEnv } from '@wahooks/config';

export const ConnectionEnv = z.object({
  ...sharedEnv,
  /** Public base URL of the gateway: the chats API shows media URLs under it, like webhook bodies do. Must be
   *  set in production (a warning is logged at start otherwise). */
  ...publicApiUrlEnv,
  /** Prefix for Redis keys (leases, replica set); empty in production, unique per test file in tests. */
  REDIS_PREFIX: z.string().default(''),
  /** WhatsApp's WebSocket endpoint; point it at the emulator (`npm run emulator`) for tests and demos. */
  WA_WEBSOCKET_URL: z.url({ protocol: /^wss?$/ }).optional(),
  /** TEST ONLY: base64 root public key of the emulator's certificate chain (replaces WhatsApp's root). */
  WA_SERVER_ROOT_KEY: z.string().optional(),
  /** WhatsApp Web client version `a,b,c`; the one bundled with Baileys goes stale (405). */
  WA_VERSION: z.string().optional(),
  /** Baileys' own log level per session (quiet by default). */
  WA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  /** Session lease in ms: a dead replica's sessions move within about this long. */
  SESSION_LEASE_MS: envInt(15_000, 1000),
  /** Deadline of one outbound send on the owner, ms: past it the send fails with 504 (outcome unknown). */
  SEND_TIMEOUT_MS: envInt(45_000, 1000),
});
export type ConnectionEnv = z.output<typeof ConnectionEnv>;
