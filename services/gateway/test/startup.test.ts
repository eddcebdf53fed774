/** Start-up mistakes end with one clear line naming PORT, never a raw stack trace (dist/main.js, built by tsc -b). */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { PortUnavailableError } from '../src/http/listen.js';
import { startTestGateway } from './support.js';

const gatewayMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

let env: TestEnv;
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  env = await createTestEnv('gateway_startup', { database: false });
  taken = createServer().listen(0, '0.0.0.0');
  await once(taken, 'listening');
  takenPort = (taken.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => taken?.close(r));
  await env?.cleanup();
});

const runMain = (extra: Record<string, string>) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [gatewayMain],
      { env: { PATH: process.env.PATH, ...env.serviceEnv, ...extra }, timeout: 20_000 },
      (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });

describe('gateway start-up', () => {
  it('startGateway on a taken port rejects with PortUnavailableError naming PORT', async () => {
    const err = await startTestGateway(env, { PORT: String(takenPort) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PortUnavailableError);
    expect((err as Error).message).toBe(
      `PORT ${takenPort} is already in use (EADDRINUSE): stop the other process or set PORT to a free port`,
    );
  });

  it('main: a taken PORT exits 1 with one line naming PORT', async () => {
    const { code, stderr } = await runMain({ PORT: String(takenPort) });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `gateway: PORT ${takenPort} is already in use (EADDRINUSE): stop the other process or set PORT to a free port\n`,
    );
  }, 30_000);

  it('main: PORT=70000 is refused by validation (exit 1, names PORT), not a RangeError', async () => {
    const { code, stderr } = await runMain({ PORT: '70000' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^invalid configuration:\n {2}PORT: .*65535/);
    expect(stderr).not.toContain('RangeError');
  }, 30_000);
});
