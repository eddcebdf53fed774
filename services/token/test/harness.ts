/** One token service in-process on a fresh database and broker namespace, plus a client broker and a pg client. */
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import pg from 'pg';
import { TokenConfigSchema, type TokenConfig } from '../src/config.js';
import { startTokenService, type TokenService } from '../src/service.js';

export interface Harness {
  env: TestEnv;
  config: TokenConfig;
  service: TokenService;
  client: Broker; // plays the gateway
  db: pg.Client;
  close(): Promise<void>;
}

export async function startHarness(label: string, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const env = await createTestEnv(label);
  const config = parseConfig(TokenConfigSchema, { ...env.serviceEnv, ...extraEnv });
  const logger = createLogger('token', config.LOG_LEVEL);
  const service = await startTokenService(config, { logger });
  const client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  return {
    env,
    config,
    service,
    client,
    db,
    async close() {
      await client.close().catch(() => undefined);
      await service.stop().catch(() => undefined);
      await db.end().catch(() => undefined);
      await env.cleanup();
    },
  };
}

/** Awaits a rejected promise and returns its error (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, it succeeded');
}

export const waitFor = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
