import { z } from 'zod';
import { dbVacuumEnv, envInt, metricsPortEnv, publicApiUrlEnv, sharedEnv } from '@wahooks/config';
import { billingGateEnv } from './billing/billing-env.js';

/** 127.0.0.0/8, ::1 and localhost: the only hosts a plain ws:// WhatsApp URL may point at. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const ConnectionVars = z.object({
  ...sharedEnv,
  /** Internal Prometheus port (/metrics; 9103, `off` = none). */
  ...metricsPortEnv('connection'),
  /** DB_VACUUM: auto (default) | on | off: vacuum of this service's busiest tables (see @wahooks/config). */
  ...dbVacuumEnv,
  /** Public base URL of the gateway: the chats API shows media URLs under it, like webhook bodies do. Must be
   *  set in production (a warning is logged at start otherwise). */
  ...publicApiUrlEnv,
  /** Prefix for Redis keys (leases, replica set); empty in production, unique per test file in tests. */
  REDIS_PREFIX: z.string().default(''),
  /** BILLING_GATE: on (default) | off, see src/billing/billing-env.ts. */
  ...billingGateEnv,
  /** WhatsApp's WebSocket endpoint; point it at the emulator (`npm run emulator`) for tests and demos. `wss://`
   *  unless it is a loopback address (the emulator on this machine): no session traffic in clear over a network. */
  WA_WEBSOCKET_URL: z
    .url({ protocol: /^wss?$/ })
    .refine(
      (url) => url.startsWith('wss:') || isLoopbackUrl(url),
      'must be wss:// unless it points at a loopback address',
    )
    .optional(),
  /** TEST ONLY: base64 root public key of the emulator's certificate chain (replaces WhatsApp's root). Refused
   *  with NODE_ENV=production; a warning at start otherwise (service.ts). */
  WA_SERVER_ROOT_KEY: z.string().optional(),
  /** WhatsApp Web client version `a,b,c`; the one bundled with Baileys goes stale (405). */
  WA_VERSION: z.string().optional(),
  /** Baileys' own log level per session (quiet by default). */
  WA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  /** Session lease in ms: a dead replica's sessions move within about this long. */
  SESSION_LEASE_MS: envInt(15_000, 1000),
  /** Deadline of one outbound send on the owner, ms: past it the send fails with 504 (outcome unknown). */
  SEND_TIMEOUT_MS: envInt(45_000, 1000),
  /** Inbound media is downloaded only from these hosts (comma-separated names or `*.suffix`), over https. Default:
   *  WhatsApp's (mmg.whatsapp.net, *.whatsapp.net); with WA_SERVER_ROOT_KEY, the host of WA_WEBSOCKET_URL. */
  WA_MEDIA_HOSTS: z.string().optional(),
  /** ms to connect (DNS, TCP, TLS) to a media host, and for a whole inbound media download. */
  MEDIA_CONNECT_TIMEOUT_MS: envInt(10_000, 100),
  MEDIA_DOWNLOAD_TIMEOUT_MS: envInt(60_000, 1000),
  /** Slow commands (get-or-create, media, delete, restart) one user may have running on a replica; more → 429. */
  SLOW_COMMANDS_PER_USER: envInt(4, 1),
});

/** WA_SERVER_ROOT_KEY must never reach production: it replaces WhatsApp's root of trust. */
export const ConnectionEnv = ConnectionVars.superRefine((env, ctx) => {
  if (env.WA_SERVER_ROOT_KEY && env.NODE_ENV === 'production')
    ctx.addIssue({
      code: 'custom',
      path: ['WA_SERVER_ROOT_KEY'],
      message: "must not be set with NODE_ENV=production (it trusts a test server's root key instead of WhatsApp's)",
    });
});
export type ConnectionEnv = z.output<typeof ConnectionEnv>;
