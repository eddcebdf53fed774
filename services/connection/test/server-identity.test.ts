/**
 * WhatsApp server identity (issue 10): the test-only root key never reaches production, a plain ws:// URL only
 * on loopback, and the server's certificate chain is bound to the key it proves it holds and to its dates.
 * The chains come from real emulators; the client is the real Baileys socket with the service's own runtime setup.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import makeWASocket, { initAuthCreds, type ConnectionState } from '@whiskeysockets/baileys';
import { ConfigError, parseConfig } from '@wahooks/config';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { createMemKeyStore, startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { ConnectionEnv } from '../src/config.js';
import { setupBaileysRuntime } from '../src/sessions/baileys-runtime.js';
import { startConnectionService } from '../src/service.js';

const connectionMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const rootPrivateKey = Buffer.alloc(32, 9).toString('base64'); // one root for all three emulators

const configError = (env: Record<string, string>): string => {
  try {
    parseConfig(ConnectionEnv, env);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

describe('WA_SERVER_ROOT_KEY and WA_WEBSOCKET_URL', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv('conn_server_identity');
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('NODE_ENV=production with WA_SERVER_ROOT_KEY: the process refuses to start, naming the variable', async () => {
    expect(configError({ NODE_ENV: 'production', WA_SERVER_ROOT_KEY: 'a2V5' })).toMatch(
      /WA_SERVER_ROOT_KEY: must not be set with NODE_ENV=production/,
    );
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [connectionMain],
        {
          env: { PATH: process.env.PATH, ...env.serviceEnv, NODE_ENV: 'production', WA_SERVER_ROOT_KEY: 'a2V5' },
          timeout: 20_000,
        },
        (_err, _stdout, err) => resolve({ code: child.exitCode, stderr: err }),
      );
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^invalid configuration:\n {2}WA_SERVER_ROOT_KEY: must not be set with NODE_ENV=production/);
  }, 30_000);

  it('elsewhere it is honoured, with a warning at start', async () => {
    const emulator = await startEmulator({ rootPrivateKey });
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('test', 'warn', { destination });
    const config = parseConfig(ConnectionEnv, {
      ...env.serviceEnv,
      WA_WEBSOCKET_URL: emulator.url,
      WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    });
    const service = await startConnectionService(config, { logger });
    try {
      const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).find((l) => l.level === 'warn');
      expect(warning?.msg).toMatch(/^WA_SERVER_ROOT_KEY is set: sessions trust a test server's root key/);
    } finally {
      await service.stop();
      await emulator.close();
    }
  }, 30_000);

  it('WA_WEBSOCKET_URL must be wss:// unless it points at a loopback address', () => {
    for (const url of ['ws://web.whatsapp.com/ws/chat', 'ws://10.0.0.5:7777/ws/chat', 'ws://127.evil.test/ws'])
      expect(configError({ WA_WEBSOCKET_URL: url })).toMatch(
        /WA_WEBSOCKET_URL: must be wss:\/\/ unless it points at a loopback address/,
      );
    for (const url of [
      'wss://web.whatsapp.com/ws/chat',
      'ws://127.0.0.1:7777/ws/chat',
      'ws://localhost:7777/ws/chat',
      'ws://[::1]:7777/ws/chat',
    ])
      expect(configError({ WA_WEBSOCKET_URL: url })).toBe('');
  });
});

describe("the server's certificate chain (real Baileys client, the service's runtime setup)", () => {
  let good: Emulator;
  let wrongKey: Emulator;
  let expired: Emulator;
  beforeAll(async () => {
    [good, wrongKey, expired] = await Promise.all([
      startEmulator({ rootPrivateKey }),
      startEmulator({ rootPrivateKey, leafFault: 'wrong-key' }),
      startEmulator({ rootPrivateKey, leafFault: 'expired' }),
    ]);
    setupBaileysRuntime({ serverRootKey: good.rootPublicKey }); // the same root for the three
  });
  afterAll(async () => {
    await Promise.all([good, wrongKey, expired].map((e) => e?.close()));
  });

  /** Connect once: 'qr' when the handshake passed (the server asks to pair), else the close reason. */
  function firstOutcome(emulator: Emulator): Promise<string> {
    const sock = makeWASocket({
      waWebSocketUrl: emulator.url,
      auth: { creds: initAuthCreds(), keys: createMemKeyStore() },
      logger: createLogger('baileys', 'silent'),
      markOnlineOnConnect: false,
      connectTimeoutMs: 10_000,
    });
    return new Promise((resolve) => {
      sock.ev.on('connection.update', (u: Partial<ConnectionState>) => {
        if (u.qr) resolve('qr');
        else if (u.connection === 'close') resolve(u.lastDisconnect?.error?.message ?? 'closed');
        else return;
        void sock.end(undefined);
      });
    });
  }

  it('a valid chain whose leaf names the server static key passes the handshake', async () => {
    expect(await firstOutcome(good)).toBe('qr');
  });

  it('a correctly signed chain whose leaf names another key is refused', async () => {
    expect(await firstOutcome(wrongKey)).toBe('noise leaf certificate key does not match the server static key');
  });

  it('a correctly signed chain whose leaf has expired is refused', async () => {
    expect(await firstOutcome(expired)).toBe('noise leaf certificate has expired');
  });
});
