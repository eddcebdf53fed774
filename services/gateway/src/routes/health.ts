/** GET /api and GET /api/health (503 when a dependency is down; details only for a caller with a token). */
import { z } from 'zod';
import { defineRoute, httpReply } from '../http/define-route.js';

const Check = z.object({ status: z.enum(['ok', 'error']), latency: z.number(), error: z.string().optional() });
const ServiceCheck = z.object({
  status: z.enum(['ok', 'error', 'not_deployed']),
  latency: z.number().optional(),
  instance: z.string().optional(),
  error: z.string().optional(),
});
const HealthReport = z.object({
  status: z.enum(['ok', 'degraded']),
  timestamp: z.string(),
  checks: z.object({ broker: Check, database: Check, redis: Check, services: z.record(z.string(), ServiceCheck) }),
});

export const healthRoutes = [
  defineRoute({
    method: 'get',
    path: '/api',
    auth: false,
    summary: 'Liveness: the gateway answers',
    tag: 'health',
    response: z.object({ status: z.literal('ok') }),
    handler: () => ({ status: 'ok' }),
  }),
  defineRoute({
    method: 'get',
    path: '/api/health',
    auth: false,
    // Anonymous: a shared result at most HEALTH_CACHE_MS old, statuses only, limited per IP (a probe every few
    // seconds is far below the limit). With a valid token: a fresh check with errors and instances.
    optionalAuth: true,
    summary: 'Readiness: broker, Postgres, Redis and every deployed service (503 when any is down)',
    description:
      'Without a token: statuses and latencies, reused for up to HEALTH_CACHE_MS. With a valid token: a fresh ' +
      'check with error texts and the replica (instance) that answered for each service.',
    tag: 'health',
    response: HealthReport,
    errors: [401, 429, 503],
    handler: async ({ deps, user }) => {
      const report = user ? await deps.health.check() : await deps.health.publicCheck();
      return httpReply(report.status === 'ok' ? 200 : 503, report, { 'Cache-Control': 'no-store' });
    },
  }),
];
