/** Test helpers: a gateway on a test env, a scripted token service on the real broker, HTTP calls. */
import { randomUUID } from 'node:crypto';
import { connectBroker, handle, on, type Broker } from '@wahooks/broker';
import {
  CreateToken,
  GetMe,
  ListTokens,
  RevokeToken,
  TokensUsed,
  unauthorized,
  unavailable,
  UpsertUser,
  VerifyToken,
  type PayloadOf,
} from '@wahooks/contracts';
import type { TestEnv } from '@wahooks/testing';
import { gatewayConfig, type GatewayConfig } from '../src/config.js';
import { startGateway, type Gateway } from '../src/service.js';

/** GET /api/me for these users fails: 503 with Retry-After 7, or an unexpected error (500). */
export const BUSY_USER = '00000000-0000-4000-8000-00000000b057';
export const BROKEN_USER = '00000000-0000-4000-8000-0000000000e5';

export async function startTestGateway(env: TestEnv, extra: Record<string, string> = {}): Promise<Gateway> {
  const config: GatewayConfig = gatewayConfig({ ...env.serviceEnv, PORT: '0', ...extra });
  return startGateway(config);
}

/** A stand-in token service on the real broker: knows the tokens in `tokens`, counts calls. */
export interface FakeTokenService {
  broker: Broker;
  tokens: Map<string, { userId: string; tokenId: string }>;
  calls: Record<string, number>;
  upserts: { id: string; email?: string | null }[];
  /** gateway.token.used reports received (cached uses, for lastUsedAt). */
  used: PayloadOf<typeof TokensUsed>[];
  close(): Promise<void>;
}

export async function startFakeTokenService(env: TestEnv): Promise<FakeTokenService> {
  const broker = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'token',
    namespace: env.namespace,
    instanceId: `fake-${randomUUID()}`,
  });
  const tokens = new Map<string, { userId: string; tokenId: string }>();
  const calls: Record<string, number> = {};
  const upserts: { id: string; email?: string | null }[] = [];
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  await broker.serve([
    handle(VerifyToken, async ({ token }) => {
      count('verify');
      const t = tokens.get(token);
      if (!t) throw unauthorized('Invalid or revoked API token');
      return t;
    }),
    handle(ListTokens, async () => {
      count('list');
      return [];
    }),
    handle(CreateToken, async ({ name }) => {
      count('create');
      const token = `wh_${randomUUID().replace(/-/g, '')}0123456789abcdef`;
      return {
        id: randomUUID(),
        name,
        token,
        tokenPrefix: `${token.slice(0, 10)}...`,
        createdAt: new Date().toISOString(),
      };
    }),
    handle(RevokeToken, async () => ({ success: true as const })),
    handle(UpsertUser, async ({ id, email }) => {
      upserts.push({ id, email });
      return { id, created: true };
    }),
    handle(GetMe, async ({ userId }) => {
      if (userId === BUSY_USER) throw unavailable('token service is busy', 7);
      if (userId === BROKEN_USER) throw new Error('database exploded');
      return { id: userId, isAdmin: false };
    }),
  ]);
  const used: PayloadOf<typeof TokensUsed>[] = [];
  await broker.subscribe('last-used', [on(TokensUsed, async (payload) => void used.push(payload))], {
    exclusive: true,
  });
  return { broker, tokens, calls, upserts, used, close: () => broker.close() };
}

export const newToken = () => `wh_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '').slice(0, 16)}`;

export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
