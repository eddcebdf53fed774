/** The built CLI without a token service: help, usage errors, service down, broker unreachable, bad env. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { spawnCli } from './spawn-cli.js';

let env: TestEnv;
const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
  spawnCli(args, { RABBITMQ_URL: env.rabbitmqUrl, BROKER_NAMESPACE: env.namespace, ...extraEnv });

beforeAll(async () => {
  env = await createTestEnv('cli', { database: false });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('wahooks CLI', () => {
  it('--help prints the usage and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('token create --user <uuid>');
  });

  it('bad arguments and unknown commands exit 1 with the usage on stderr', async () => {
    for (const args of [[], ['frobnicate'], ['token', 'create'], ['token', 'create', '--user', 'nope']]) {
      const run = await cli(args);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: /);
      expect(run.stderr).toContain('Usage: npm run wahooks');
      expect(run.stdout).toBe('');
    }
  });

  it('token service down: a clear error and exit 1, not a hang', async () => {
    const started = Date.now();
    const run = await cli(['token', 'list', '--user', randomUUID(), '--timeout', '3000'], {
      BROKER_NAMESPACE: env.namespace, // no token service runs in this namespace
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/token service unavailable \(50[34]/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('RabbitMQ unreachable: a clear error and exit 1', async () => {
    const run = await cli(['token', 'list', '--user', randomUUID(), '--timeout', '1500'], {
      RABBITMQ_URL: 'amqp://guest:secret@127.0.0.1:1',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/);
  });

  it('a bad RABBITMQ_URL names the variable', async () => {
    const run = await cli(['token', 'list', '--user', randomUUID()], { RABBITMQ_URL: 'http://nope' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('RABBITMQ_URL');
  });
});
