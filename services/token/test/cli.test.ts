/** The operator CLI (libs/cli/dist/main.js, built by `tsc -b`) against this service, end to end over RabbitMQ. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ListTokens, VerifyToken } from '@wahooks/contracts';
import { startHarness, type Harness } from './harness.js';

const cliMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../libs/cli/dist/main.js');

let h: Harness;
let client: Harness['client'];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, RABBITMQ_URL: h.env.rabbitmqUrl, BROKER_NAMESPACE: h.env.namespace };
  return new Promise((resolve) => {
    execFile(process.execPath, [cliMain, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  if (!existsSync(cliMain)) throw new Error(`${cliMain} is missing: run \`npx tsc -b\` at the repo root first`);
  h = await startHarness('token-cli');
  client = h.client;
});
afterAll(async () => {
  await h?.close();
});

describe('npm run wahooks -- token …', () => {
  it('token create prints a working token on stdout and a hint on stderr', async () => {
    const userId = randomUUID();
    const run = await cli(['token', 'create', '--user', userId, '--name', 'bootstrap']);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^wh_[0-9a-f]{48}\n$/);
    expect(run.stderr).toContain('shown only once');
    const token = run.stdout.trim();
    expect(await client.request(VerifyToken, { token })).toEqual({ userId, tokenId: expect.any(String) });
    expect(await client.request(ListTokens, { userId })).toMatchObject([{ name: 'bootstrap' }]);
  });

  it('token list and token revoke', async () => {
    const userId = randomUUID();
    const created = await cli(['token', 'create', '--user', userId]);
    const token = created.stdout.trim();
    const { tokenId } = await client.request(VerifyToken, { token });

    const listed = await cli(['token', 'list', '--user', userId, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: tokenId, name: 'cli', active: true }]);
    const table = await cli(['token', 'list', '--user', userId]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+LAST USED\s+CREATED\n/);
    expect(table.stdout).toContain(token.slice(0, 10) + '...');

    const revoked = await cli(['token', 'revoke', '--user', userId, '--id', tokenId]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked token ${tokenId}\n` });
    await expect(client.request(VerifyToken, { token })).rejects.toMatchObject({ statusCode: 401 });
  });

  it('passes service errors through with exit code 1', async () => {
    const run = await cli(['token', 'revoke', '--user', randomUUID(), '--id', randomUUID()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('404 Not Found: Token not found');
    expect(run.stdout).toBe('');
  });
});
