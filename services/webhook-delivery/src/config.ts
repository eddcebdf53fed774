/**
 * Environment -> Config. Every key has a default that works on a developer machine; the comment says why.
 * `startWebhookDelivery(config)` never reads the environment itself (tests build Config directly).
 */
import { z } from 'zod';
import {
  dbVacuumEnv,
  envBool,
  envInt,
  metricsPortEnv,
  parseConfig,
  publicApiUrlEnv,
  publicApiUrlWarnings,
  sharedEnv,
} from '@wahooks/config';
import type { VacuumMode } from '@wahooks/db';
import { parseHostList } from '@wahooks/outbound-http';
import { parseDuration, parseDurationList } from './domain/duration.js';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/** Warnings logged at start (nothing is wrong enough to refuse to start). */
export function configWarnings(env: NodeJS.ProcessEnv): string[] {
  return publicApiUrlWarnings(env);
}

export const WebhookDeliveryEnv = z.object({
  ...sharedEnv,
  /** Internal Prometheus port (/metrics; 9105, `off` = none). */
  ...metricsPortEnv('webhook-delivery'),
  /** DB_VACUUM: auto (default) | on | off: vacuum of this service's busiest tables (see @wahooks/config). */
  ...dbVacuumEnv,
  /** Public base URL of the gateway (its port is 3000 by default); media URLs in webhook bodies point at
   *  `${PUBLIC_API_URL}/api/connections/…`. Must be set in production (a warning is logged at start otherwise). */
  ...publicApiUrlEnv,
  /** Waits between attempts; n waits = n+1 attempts. Svix-like: 5s,5m,30m,2h,5h,10h,10h. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('5s,10s,20s,40s')
    .transform((v, ctx) => {
      try {
        return parseDurationList(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** ±fraction applied to each wait (spreads retry storms); 0 disables. */
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(0.5).default(0.2),
  /** One attempt's deadline (connect + send + first 4 KB of the answer). */
  WEBHOOK_TIMEOUT: duration('15s'),
  /** Hosts (exact names or IP literals) allowed although they resolve to private addresses; comma-separated.
   *  `OUTBOUND_ALLOWED_HOSTS` is the one list for every outbound fetch (media too); this older name still works,
   *  and the two lists are joined. */
  OUTBOUND_ALLOWED_HOSTS: z.string().default(''),
  WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
  /** DNS servers for webhook hosts (`ip` or `ip:port`, comma-separated); default: the system's. */
  OUTBOUND_DNS_SERVERS: z.string().default(''),
  /** ms a webhook host's DNS lookup may take before the attempt fails (resolved off Node's thread pool). */
  OUTBOUND_DNS_TIMEOUT_MS: envInt(3000, 100),
  /** Webhooks one connection may have; one more is a 409 (each one multiplies every event's deliveries). */
  MAX_WEBHOOKS_PER_CONNECTION: envInt(20, 1),
  /** In-flight requests per webhook: one slow receiver cannot take every slot. */
  WEBHOOK_ENDPOINT_CONCURRENCY: envInt(16, 1),
  /** Hard cap of attempts queued in memory per webhook beyond the in-flight ones; more are deferred. */
  WEBHOOK_ENDPOINT_BACKLOG: envInt(1000, 0),
  /** An attempt expected to wait longer than this for its endpoint's slot (queue length x observed latency)
   *  is deferred by WEBHOOK_BUSY_DELAY instead of holding a prefetch slot: bursts to a fast endpoint queue,
   *  a slow endpoint sheds its excess. */
  WEBHOOK_ENDPOINT_MAX_WAIT: duration('2s'),
  /** Wait of an attempt deferred because its endpoint is saturated (does not count as an attempt). */
  WEBHOOK_BUSY_DELAY: duration('1s'),
  /** Unacked attempt messages per process (RabbitMQ docs: 100–300 is the throughput sweet spot). */
  WEBHOOK_PREFETCH: envInt(300, 1),
  /** First attempts inline in the fan-out when the endpoint is fast: saves a queue hop and a read, but couples the
   *  fan-out consumer's window to receivers' latency (measured worse p99 at 500/s here), so off by default. */
  WEBHOOK_INLINE_FIRST_ATTEMPT: envBool(false),
  /** Unacked events per process in the fan-out consumer. */
  WEBHOOK_FANOUT_PREFETCH: envInt(200, 1),
  /** Most first attempts of one fan-out batch carried by one work-queue message (1 = a message per delivery). */
  WEBHOOK_FIRST_ATTEMPT_BATCH: envInt(50, 1),
  /** Disable a webhook after this many consecutive failed deliveries (0 = never by count). */
  WEBHOOK_DISABLE_AFTER_FAILURES: envInt(100, 0),
  /** …or after failing continuously for this long (Svix: 5 days). */
  WEBHOOK_DISABLE_AFTER: duration('5d'),
  /** How long the old secret keeps signing after a rotation. */
  WEBHOOK_SECRET_GRACE: duration('24h'),
  /** Bytes of a receiver's answer kept in the attempt log. */
  WEBHOOK_RESPONSE_BODY_LIMIT: envInt(4096, 0),
  /** How often pending deliveries whose queue message is gone (crash, dead-lettered task) are re-enqueued. */
  WEBHOOK_SWEEP_INTERVAL: duration('30s'),
  /** Slack beyond the longest wait + one attempt before a pending delivery counts as lost. */
  WEBHOOK_SWEEP_MARGIN: duration('1m'),
  /** Settled deliveries (and their attempts and event bodies) older than this are deleted by the sweep; 0 keeps
   *  them forever. */
  WEBHOOK_LOG_RETENTION: duration('30d'),
});

export interface Config {
  rabbitmqUrl: string;
  databaseUrl: string;
  brokerNamespace: string;
  publicApiUrl: string;
  retrySchedule: number[];
  retryJitter: number;
  timeoutMs: number;
  allowedHosts: string[];
  dnsServers: string[];
  dnsTimeoutMs: number;
  maxWebhooksPerConnection: number;
  endpointConcurrency: number;
  endpointBacklog: number;
  endpointMaxWaitMs: number;
  busyDelayMs: number;
  prefetch: number;
  fanoutPrefetch: number;
  firstAttemptBatch: number;
  inlineFirstAttempt: boolean;
  disableAfterFailures: number;
  disableAfterMs: number;
  secretGraceMs: number;
  responseBodyLimit: number;
  sweepIntervalMs: number;
  sweepMarginMs: number;
  logRetentionMs: number;
  /** DB_VACUUM (default 'auto'): the service vacuums its busiest tables while the server's autovacuum is off. */
  vacuum?: VacuumMode;
  /** Internal Prometheus port for main.ts; unset in tests that build a Config (no server). */
  metricsPort?: number | 'off';
}

export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const e = parseConfig(WebhookDeliveryEnv, env);
  return {
    rabbitmqUrl: e.RABBITMQ_URL,
    databaseUrl: e.DATABASE_URL,
    brokerNamespace: e.BROKER_NAMESPACE,
    publicApiUrl: e.PUBLIC_API_URL,
    retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
    retryJitter: e.WEBHOOK_RETRY_JITTER,
    timeoutMs: e.WEBHOOK_TIMEOUT,
    allowedHosts: parseHostList(e.OUTBOUND_ALLOWED_HOSTS, e.WEBHOOK_ALLOWED_HOSTS),
    dnsServers: parseHostList(e.OUTBOUND_DNS_SERVERS),
    dnsTimeoutMs: e.OUTBOUND_DNS_TIMEOUT_MS,
    maxWebhooksPerConnection: e.MAX_WEBHOOKS_PER_CONNECTION,
    endpointConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
    endpointBacklog: e.WEBHOOK_ENDPOINT_BACKLOG,
    endpointMaxWaitMs: e.WEBHOOK_ENDPOINT_MAX_WAIT,
    busyDelayMs: e.WEBHOOK_BUSY_DELAY,
    prefetch: e.WEBHOOK_PREFETCH,
    fanoutPrefetch: e.WEBHOOK_FANOUT_PREFETCH,
    firstAttemptBatch: e.WEBHOOK_FIRST_ATTEMPT_BATCH,
    inlineFirstAttempt: e.WEBHOOK_INLINE_FIRST_ATTEMPT,
    disableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
    disableAfterMs: e.WEBHOOK_DISABLE_AFTER,
    secretGraceMs: e.WEBHOOK_SECRET_GRACE,
    responseBodyLimit: e.WEBHOOK_RESPONSE_BODY_LIMIT,
    sweepIntervalMs: e.WEBHOOK_SWEEP_INTERVAL,
    sweepMarginMs: e.WEBHOOK_SWEEP_MARGIN,
    logRetentionMs: e.WEBHOOK_LOG_RETENTION,
    vacuum: e.DB_VACUUM,
    metricsPort: e.METRICS_PORT,
  };
}
