/**
 * One isolated environment per test file on the shared local servers (or the testcontainers ones that
 * jest.global-setup.js started): its own Postgres database, its own broker namespace, its own Redis key prefix.
 */
import { appendFileSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { deleteNamespace } from './rabbitmq.js';
import { uniqueId } from './names.js';

/**
 * Set by jest.global-setup.js: every namespace of the run is appended there, so the global teardown deletes what
 * a test file left (it crashed, timed out, or forgot `cleanup()`).
 */
export const NAMESPACES_FILE_ENV = 'WAHOOKS_TEST_NAMESPACES_FILE';

export interface TestEnv {
  id: string;
  rabbitmqUrl: string;
  databaseUrl: string;
  redisUrl: string;
  namespace: string; // broker prefix, e.g. "t_token_1a2b3c4d."
  redisPrefix: string; // e.g. "t_token_1a2b3c4d:"
  /** Environment variables for a service process started by the test. */
  serviceEnv: Record<string, string>;
  /**
   * Deletes the database and every queue and exchange of the namespace. Rejects (after trying both) when one
   * cannot be deleted; warns when the broker's names could not be listed (see rabbitmq.ts).
   */
  cleanup(): Promise<void>;
}

export async function createTestEnv(label: string, options: { database?: boolean } = {}): Promise<TestEnv> {
  const id = uniqueId(label);
  const rabbitmqUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const baseDb = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wahooks_test';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let db: TestDatabase | undefined;
  if (options.database !== false) db = await createTestDatabase(baseDb, `wahooks_${id}`);
  const namespace = `${id}.`;
  const runFile = process.env[NAMESPACES_FILE_ENV];
  if (runFile) appendFileSync(runFile, `${namespace}\n`);
  const redisPrefix = `${id}:`;
  const databaseUrl = db?.url ?? baseDb;
  return {
    id,
    rabbitmqUrl,
    databaseUrl,
    redisUrl,
    namespace,
    redisPrefix,
    serviceEnv: {
      RABBITMQ_URL: rabbitmqUrl,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      BROKER_NAMESPACE: namespace,
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      // Connection creates are not gated by billing unless a test starts the billing service and sets it 'on'.
      BILLING_GATE: 'off',
      // A service process started by a test serves /metrics on a free port (it logs which): the defaults 9101–9106
      // would collide between test files running at once.
      METRICS_PORT: '0',
    },
    async cleanup() {
      const [broker, database] = await Promise.allSettled([deleteNamespace(rabbitmqUrl, namespace), db?.drop()]);
      if (broker.status === 'fulfilled' && broker.value.warning) console.warn(`[test-env] ${broker.value.warning}`);
      const errors = [broker, database].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1)
        throw new AggregateError(errors, `cleanup of ${id} failed: ${errors.map((e) => e.message).join('; ')}`);
    },
  };
}
