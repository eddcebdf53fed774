/**
 * The whole send path on one test env, for real: the token, connection and gateway services as child processes
 * of their builds, the emulator as the phones and WhatsApp's servers, and the messaging service in this process
 * (so a test can stop, restart or double it). RabbitMQ, Postgres and Redis are the shared local servers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type RedisClientType } from 'redis';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import {
  CreateToken,
  Exchanges,
  SessionQr,
  UpsertUser,
  WhatsAppEvent,
  type WhatsAppEventPayload,
} from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator, type EmulatorOptions } from '@wahooks/wa-emulator';
import { MessagingConfigSchema } from '../../src/config.js';
import { startMessagingService, type MessagingService } from '../../src/service.js';

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

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
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
  emulator: Emulator;
  /** A broker client of the test's own (requests, and every WhatsApp event in `events`). */
  broker: Broker;
  events: WhatsAppEventPayload[];
  redis: RedisClientType;
  base: string;
  messaging: MessagingService[];
  connection: ChildProcess;
  startMessaging(extra?: Record<string, string>): Promise<MessagingService>;
  http(
    method: string,
    url: string,
    user: User | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpResult>;
  user(): Promise<User>;
  /** A connection of `user`, linked by an emulated phone; `phone` is its number. */
  link(user: User): Promise<{ id: string; phone: string }>;
  close(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  messaging?: Record<string, string>;
  connection?: Record<string, string>;
}

export async function startStack(label: string, options: StackOptions = {}): Promise<Stack> {
  execFileSync('npx', ['tsc', '-b', 'services/token', 'services/gateway', 'services/connection'], {
    cwd: repo,
    stdio: 'inherit',
    timeout: 300_000,
  });
  const env = await createTestEnv(label);
  const emulator = await startEmulator(options.emulator);
  const broker = await connectBroker({ url: env.rabbitmqUrl, service: 'billing', namespace: env.namespace, logger });
  const events: WhatsAppEventPayload[] = [];
  await broker.subscribe(`${label}-events`, [on(WhatsAppEvent, async (p) => void events.push(p))], { exclusive: true });
  const redis = createClient({ url: env.redisUrl }) as RedisClientType;
  await redis.connect();
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
  start('token', {});
  const connection = start('connection', {
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: '10000',
    ...options.connection,
  });
  start('gateway', { PORT: String(port), RATE_LIMIT_PER_MINUTE: '100000' });

  const messaging: MessagingService[] = [];
  const startMessaging = async (extra: Record<string, string> = {}) => {
    const service = await startMessagingService(
      parseConfig(MessagingConfigSchema, {
        ...env.serviceEnv,
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        MESSAGING_PRESENCE_SCALE: '0.1',
        ...options.messaging,
        ...extra,
      }),
      { logger },
    );
    messaging.push(service);
    return service;
  };
  await startMessaging();

  const http: Stack['http'] = async (method, url, user, body, headers = {}) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(user ? { authorization: `Bearer ${user.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
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
  };

  const user = async (): Promise<User> => {
    const id = randomUUID();
    await waitFor(
      () => broker.request(UpsertUser, { id, email: `${id}@example.com` }).catch(() => undefined),
      'token service',
      60_000,
      250,
    );
    const { token } = await broker.request(CreateToken, { userId: id, name: 'messaging-test' });
    return { id, token };
  };

  await waitFor(async () => (await fetch(`${base}/api`).catch(() => undefined))?.ok, 'gateway up', 60_000, 250);
  const probe = await user();
  await waitFor(
    async () => (await http('GET', '/api/connections', probe)).status === 200,
    'connection service',
    60_000,
    250,
  );

  const link = async (owner: User) => {
    const created = await http('POST', '/api/connections', owner, { name: 'messaging test' });
    if (created.status !== 201) throw new Error(`create connection: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id as string;
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
      async () => (await http('GET', `/api/connections/${id}`, owner)).body?.status === 'connected',
      'connected',
      30_000,
      200,
    );
    await waitFor(() => emulator.accounts().find((a) => a.phone === phone)?.connected, 'logged in', 30_000);
    return { id, phone };
  };

  return {
    env,
    emulator,
    broker,
    events,
    redis,
    base,
    messaging,
    connection,
    startMessaging,
    http,
    user,
    link,
    async close() {
      await Promise.allSettled(messaging.map((m) => m.stop()));
      const running = procs.filter((p) => p.exitCode === null && p.signalCode === null);
      for (const p of running) {
        p.kill('SIGCONT'); // a test may have paused it
        p.kill('SIGTERM');
      }
      await Promise.all(
        running.map(
          (p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r))),
        ),
      );
      await broker.close().catch(() => undefined);
      redis.destroy();
      await emulator.close();
      await env.cleanup();
    },
  };
}

/** Keys under this env's Redis prefix (staged media), to check nothing is left behind. */
export async function stagedKeys(stack: Stack): Promise<string[]> {
  return stack.redis.keys(`${stack.env.redisPrefix}messaging:*`);
}

/** A contact's chat id as the API takes it. */
export const chatOf = (digits: string) => `${digits}@c.us`;
