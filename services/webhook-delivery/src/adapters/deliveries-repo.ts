/**
 * Events (bodies), deliveries and attempts: one repo over the statements of each job. The hot-path statements
 * take whole batches (see batcher.ts): one INSERT fans out many events, one UPDATE records many outcomes.
 */
import type { Sql } from '@wahooks/db';
import { attemptQueries } from './deliveries-attempts.js';
import { fanOutQueries } from './deliveries-fan-out.js';
import { logQueries } from './deliveries-logs.js';
import { sweepQueries } from './deliveries-sweep.js';

export type {
  AttemptOutcome,
  AttemptTarget,
  DisabledWebhook,
  HealthPolicy,
  RecordResult,
} from './deliveries-attempts.js';
export type { EventToFanOut } from './deliveries-fan-out.js';
export type { AttemptRow, LogRow } from './deliveries-logs.js';

export function createDeliveriesRepo(sql: Sql) {
  return { ...fanOutQueries(sql), ...attemptQueries(sql), ...logQueries(sql), ...sweepQueries(sql) };
}
export type DeliveriesRepo = ReturnType<typeof createDeliveriesRepo>;
