/** GET /api and GET /api/health (503 when a dependency is down). */
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
    rateLimit: false, // probes must not be throttled
    summary: 'Readiness: broker, Postgres, Redis and every deployed service (503 when any is down)',
    tag: 'health',
    response: HealthReport,
    errors: [503],
    handler: async ({ deps }) => {
      const report = await deps.health.check();
      return httpReply(report.status === 'ok' ? 200 : 503, report, { 'Cache-Control': 'no-store' });
    },
  }),
];
