/**
 * The billing path on one test env, for real: the token, connection and gateway services as child processes of
 * their builds (the connection service with BILLING_GATE=on, on the emulator), the Stripe stand-in, and the
 * billing service in this process (so a test can stop and restart it). RabbitMQ, Postgres and Redis are the
 * shared local servers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectBroker, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateToken, Exchanges, SessionQr, UpsertUser } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { BillingConfigSchema } from '../../src/config.js';
import { startBillingService, type BillingService } from '../../src/service.js';
import { STAND_IN_SECRET_KEY, StripeStandIn } from './stripe-stand-in.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

// The emulator runs libsignal in this process, which logs whole session records (private keys) to the console.
const info = console.info.bind(console);
console.info = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /session/i.test(args[0])) return;
  info(...args);
};
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('Closing open session')) return;
  warn(...args);
};

export const WEBHOOK_SECRET = 'whsec_test_standin';
export const USD_PRICE = 'price_usd_test';
export const INR_PRICE = 'price_inr_test';
export const FRONTEND_URL = 'https://app.wahooks.test';

/** Stripe on, against the stand-in at `url`. */
export const hostedEnv = (url: string): Record<string, string> => ({
  STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_USD_PRICE_ID: USD_PRICE,
  STRIPE_INR_PRICE_ID: INR_PRICE,
  STRIPE_API_URL: url,
  FRONTEND_URL,
});

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

export interface User {
  id: string;
  token: string;
}

export interface Stack {
  env: TestEnv;
  stripe: StripeStandIn;
  emulator: Emulator;
  broker: Broker; // the test's own client
  db: pg.Client; // looks at every service's schema from outside
  base: string;
  billing: BillingService | undefined;
  /** (Re)start billing in this process with the stack's env plus `extra`. */
  startBilling(extra?: Record<string, string>): Promise<BillingService>;
  stopBilling(): Promise<void>;
  http(
    method: string,
    url: string,
    user: User | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpResult>;
  user(options?: { admin?: boolean; email?: string | null }): Promise<User>;
  /** A connection of `user` (201), optionally linked by an emulated phone. */
  connection(user: User, options?: { link?: boolean }): Promise<{ id: string; phone?: string }>;
  /** Non-stopped connections of a user in the connection service's table, newest first. */
  activeConnections(userId: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startStack(
  label: string,
  billingEnv: (stripeUrl: string) => Record<string, string>,
  connectionEnv: Record<string, string> = {},
): Promise<Stack> {
  execFileSync('npx', ['tsc', '-b', 'services/token', 'services/gateway', 'services/connection'], {
    cwd: repo,
    stdio: 'inherit',
    timeout: 300_000,
  });
  const env = await createTestEnv(label);
  const stripe = await StripeStandIn.start();
  const emulator = await startEmulator();
  const broker = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  const db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  const start = (service: string, extra: Record<string, string>) => {
    const proc = spawn(process.execPath, [`services/${service}/dist/main.js`], {
      cwd: repo,
      env: { ...process.env, ...env.serviceEnv, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...extra },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    procs.push(proc);
    return proc;
  };

  const stack: Stack = {
    env,
    stripe,
    emulator,
    broker,
    db,
    base,
    billing: undefined,
    async startBilling(extra = {}) {
      await stack.stopBilling();
      stack.billing = await startBillingService(
        parseConfig(BillingConfigSchema, { ...env.serviceEnv, ...billingEnv(stripe.url), ...extra }),
        { logger },
      );
      return stack.billing;
    },
    async stopBilling() {
      await stack.billing?.stop();
      stack.billing = undefined;
    },
    async http(method, url, user, body, headers = {}) {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: {
          ...(user ? { authorization: `Bearer ${user.token}` } : {}),
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async user(options = {}) {
      const id = randomUUID();
      const email = options.email === undefined ? `${id}@example.com` : options.email;
      await waitFor(
        () => broker.request(UpsertUser, { id, email }).catch(() => undefined),
        'token service',
        60_000,
        250,
      );
      if (options.admin) await db.query('UPDATE token.users SET is_admin = true WHERE id = $1', [id]);
      const { token } = await broker.request(CreateToken, { userId: id, name: 'billing-test' });
      return { id, token };
    },
    async connection(owner, options = {}) {
      const created = await stack.http('POST', '/api/connections', owner, {});
      if (created.status !== 201)
        throw new Error(`create connection: ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      if (!options.link) return { id };
      const qr = await waitFor(
        async () => {
          const r = await broker
            .request(SessionQr, { connectionId: id }, { exchange: Exchanges.sessions, routingKey: id, timeoutMs: 5000 })
            .catch(() => undefined);
          return r && 'raw' in r ? r.raw : undefined;
        },
        'a QR',
        30_000,
        200,
      );
      const { phone } = await emulator.scan(qr);
      await waitFor(
        async () => (await stack.http('GET', `/api/connections/${id}`, owner)).body?.status === 'connected',
        'connected',
        30_000,
        200,
      );
      await waitFor(() => emulator.accounts().find((a) => a.phone === phone)?.connected, 'logged in', 30_000);
      return { id, phone };
    },
    async activeConnections(userId) {
      const { rows } = await db.query(
        `SELECT id FROM connection.connections WHERE user_id = $1 AND status <> 'stopped' ORDER BY created_at DESC`,
        [userId],
      );
      return rows.map((r) => r.id as string);
    },
    async close() {
      await stack.stopBilling().catch(() => undefined);
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
      await broker.close().catch(() => undefined);
      await db.end().catch(() => undefined);
      await emulator.close();
      await stripe.close();
      await env.cleanup();
    },
  };

  start('token', {});
  start('connection', {
    BILLING_GATE: 'on',
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: '10000',
    ...connectionEnv,
  });
  start('gateway', { PORT: String(port), RATE_LIMIT_PER_MINUTE: '100000' });
  await stack.startBilling();
  await waitFor(async () => (await fetch(`${base}/api`).catch(() => undefined))?.ok, 'gateway up', 60_000, 250);
  const probe = await stack.user();
  await waitFor(
    async () => (await stack.http('GET', '/api/connections', probe)).status === 200,
    'connection service',
    60_000,
    250,
  );
  return stack;
}
