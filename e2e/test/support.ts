/**
 * One stack per test file on one test env: the real token service and gateway(s) in-process, a local JWKS
 * server standing in for Supabase, an HS256 secret for legacy JWTs, and a broker-side connection killer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseConfig } from '@wahooks/config';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { gatewayConfig } from '../../services/gateway/src/config.js';
import { startGateway, type Gateway } from '../../services/gateway/src/service.js';
import { TokenConfigSchema } from '../../services/token/src/config.js';
import { startTokenService, type TokenService } from '../../services/token/src/service.js';
import { signHs256, startJwksServer, type JwksServer } from '../../services/gateway/test/jwks-server.js';

export { call, waitFor } from '../../services/gateway/test/support.js';
export { signHs256 };

export const JWT_SECRET = 'e2e-legacy-jwt-secret-at-least-32-characters';

export interface Stack {
  env: TestEnv;
  jwks: JwksServer;
  token: TokenService;
  gateways: Gateway[];
  startGateway(extra?: Record<string, string>): Promise<Gateway>;
  startToken(extra?: Record<string, string>): Promise<TokenService>;
  close(): Promise<void>;
}

export async function startStack(label: string, gatewayEnv: Record<string, string> = {}): Promise<Stack> {
  const env = await createTestEnv(label);
  const jwks = await startJwksServer();
  const gateways: Gateway[] = [];
  const tokens: TokenService[] = [];
  const startToken = async (extra: Record<string, string> = {}) => {
    const t = await startTokenService(
      parseConfig(TokenConfigSchema, { ...env.serviceEnv, TOKEN_LAST_USED_FLUSH_MS: '100', ...extra }),
    );
    tokens.push(t);
    return t;
  };
  const start = async (extra: Record<string, string> = {}) => {
    const g = await startGateway(
      gatewayConfig({
        ...env.serviceEnv,
        PORT: '0',
        SUPABASE_JWKS_URL: jwks.url,
        SUPABASE_JWT_SECRET: JWT_SECRET,
        RATE_LIMIT_PER_MINUTE: '10000',
        ...gatewayEnv,
        ...extra,
      }),
    );
    gateways.push(g);
    return g;
  };
  const token = await startToken();
  await start();
  return {
    env,
    jwks,
    token,
    gateways,
    startGateway: start,
    startToken,
    async close() {
      await Promise.allSettled(gateways.map((g) => g.stop(100)));
      await Promise.allSettled(tokens.map((t) => t.stop()));
      await jwks.close();
      await env.cleanup();
    },
  };
}

const run = promisify(execFile);

/** Close, from the RabbitMQ side, every connection with this client-provided name (rabbitmqctl, as root). */
export async function killConnection(connectionName: string): Promise<number> {
  // Table output: the pid column is in the form close_connection accepts (<rabbit@host.N.N.N>).
  const { stdout } = await run(
    'rabbitmqctl',
    ['-q', 'list_connections', 'pid', 'client_properties', '--no-table-headers'],
    {
      timeout: 30_000,
    },
  );
  const needle = `{"connection_name","${connectionName}"}`;
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(needle))
    .map((line) => line.split('\t')[0]!.trim());
  for (const pid of pids)
    await run('rabbitmqctl', ['-q', 'close_connection', pid, 'e2e: killed by test'], { timeout: 30_000 });
  return pids.length;
}
