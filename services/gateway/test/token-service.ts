/**
 * The real token service for gateway tests: its built entry point (services/token/dist/main.js, from `npx tsc -b`)
 * as a child process on the test env, exactly as it is deployed, plus a broker client that mints tokens in it.
 * No import of the token service's code: the gateway talks to it over RabbitMQ only, and so do these tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBroker, type Broker } from '@wahooks/broker';
import { CreateToken, UpsertUser } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import type { TestEnv } from '@wahooks/testing';

const tokenMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../token/dist/main.js');

export interface TokenServiceProcess {
  proc: ChildProcess;
  /** A broker client of the test (it calls itself the gateway) for direct commands, e.g. minting tokens. */
  client: Broker;
  /** A real `wh_` token for `userId` (user row created or refreshed first, with `email` when given). */
  mint(userId: string, options?: { email?: string; tokenName?: string }): Promise<{ token: string; tokenId: string }>;
  /** Everything the process wrote so far (pino JSON lines), for failure messages. */
  output(): string;
  /** SIGTERM: the service drains and exits; resolves once it has. Its durable command queue stays. */
  stop(): Promise<void>;
}

export async function startTokenService(
  env: TestEnv,
  extra: Record<string, string> = {},
): Promise<TokenServiceProcess> {
  if (!existsSync(tokenMain)) throw new Error(`${tokenMain} is missing: run \`npx tsc -b\` at the repo root first`);
  const proc = spawn(process.execPath, [tokenMain], {
    // Not process.env: no NODE_OPTIONS of jest's, no variables of the developer's shell.
    env: {
      PATH: process.env.PATH ?? '',
      ...env.serviceEnv,
      LOG_LEVEL: 'info', // 'token service ready' is an info line
      TOKEN_LAST_USED_FLUSH_MS: '100',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('"token service ready"')) resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`token service exited (${code}) before it was ready:\n${out}`)));
  });
  const timeout = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }

  const client = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'gateway',
    namespace: env.namespace,
    logger: createLogger('token-service-client', 'silent'),
  });
  let stopping: Promise<void> | undefined;
  return {
    proc,
    client,
    async mint(userId, options = {}) {
      await client.request(UpsertUser, { id: userId, email: options.email ?? null });
      const created = await client.request(CreateToken, { userId, name: options.tokenName ?? 'gateway-test' });
      return { token: created.token, tokenId: created.id };
    },
    output: () => out,
    stop: () =>
      (stopping ??= (async () => {
        await client.close();
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        }
      })()),
  };
}
