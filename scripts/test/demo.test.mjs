// `npm run demo` end to end, on the local RabbitMQ, PostgreSQL and Redis: `node --test scripts/test/demo.test.mjs`
// (after `npm run build`; the root `npm test` builds first). Every run must leave nothing behind: no process, no
// listening port, no database, no Redis key.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import pg from 'pg';
import { createClient } from 'redis';
import { demoEnvironment, freePort, portInUse } from '../demo/isolation.mjs';
import { renderQrForTerminal } from '../demo/qr.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const STEPS = 13;
const RUN_TIMEOUT_MS = 240_000;

/**
 * Runs `npm run -s demo` as a terminal would (its own process group); `act(child, output)` is called on every output
 * chunk. Resolves with its exit code, signal and output.
 */
function runDemo(env = {}, act = () => undefined) {
  const child = spawn('npm', ['run', '-s', 'demo'], {
    cwd: repoRoot,
    env: { ...process.env, WAHOOKS_BUILD: '0', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal session
  });
  const out = { text: '' };
  const collect = (chunk) => {
    out.text += chunk;
    act(child, out.text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`the demo did not finish within ${RUN_TIMEOUT_MS / 1000} s:\n${out.text}`));
    }, RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: out.text });
    });
  });
}

/** Pids and ports the demo reported starting. */
function started(output) {
  const pids = [];
  const emulator = /control API http:\/\/127\.0\.0\.1:(\d+)\/control \(pid (\d+)\)/.exec(output);
  if (emulator) pids.push(Number(emulator[2]));
  const services = /pids: (.+)$/m.exec(output);
  if (services) for (const m of services[1].matchAll(/(\d+)/g)) pids.push(Number(m[1]));
  const ports = [
    emulator?.[1],
    /gateway http:\/\/127\.0\.0\.1:(\d+);/.exec(output)?.[1],
    /receiver http:\/\/127\.0\.0\.1:(\d+)\/hook/.exec(output)?.[1],
  ]
    .filter(Boolean)
    .map(Number);
  const database = /database (wahooks_demo_[0-9a-f]+)/.exec(output)?.[1];
  const redisPrefix = /Redis prefix (demo_[0-9a-f]+:)/.exec(output)?.[1];
  return { pids, ports, database, redisPrefix };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Asserts that nothing the demo started is left: processes, ports, database, Redis keys. */
async function assertNothingLeft(output, expected) {
  const { pids, ports, database, redisPrefix } = started(output);
  assert.ok(pids.length >= expected.pids, `expected at least ${expected.pids} pids in the output:\n${output}`);
  assert.ok(ports.length >= expected.ports, `expected at least ${expected.ports} ports in the output:\n${output}`);
  assert.deepEqual(pids.filter(alive), [], 'every process the demo started has exited');
  for (const port of ports) assert.equal(await portInUse(port), false, `port ${port} is free again`);
  assert.ok(database && redisPrefix, 'the output names the demo database and Redis prefix');
  const client = new pg.Client({ connectionString: demoEnvironment().adminDatabaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    assert.equal(rowCount, 0, `database ${database} was dropped`);
  } finally {
    await client.end();
  }
  const redis = createClient({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' });
  await redis.connect();
  try {
    assert.deepEqual(await redis.keys(`${redisPrefix}*`), [], 'no Redis key of the demo is left');
  } finally {
    await redis.quit();
  }
}

test(
  'npm run demo walks through every step, exits 0 and leaves nothing running',
  { timeout: RUN_TIMEOUT_MS + 30_000 },
  async () => {
    const { code, output } = await runDemo();
    assert.equal(code, 0, `exit code 0 expected:\n${output}`);
    for (let n = 1; n <= STEPS; n++) assert.match(output, new RegExp(`^step ${n}/${STEPS} ok: `, 'm'), `step ${n} ok`);
    assert.doesNotMatch(output, /FAILED/);
    for (const outcome of [
      'gateway and 5 services ok',
      'wh_',
      'QR ready',
      'connected as 15550000001@c.us',
      'Standard Webhooks (standardwebhooks library): valid',
      'X-WAHooks-Signature (HMAC-SHA256 recipe):     valid',
      'the phone got it',
      'the phone decrypted the same bytes',
      'message evt_',
      'all delivered',
      'demo finished: every step ok',
    ]) {
      assert.ok(output.includes(outcome), `output shows "${outcome}"`);
    }
    await assertNothingLeft(output, { pids: 8, ports: 3 });
  },
);

test('a failing step says what failed and why, and the demo exits 1', { timeout: 60_000 }, async () => {
  const closedPort = await freePort();
  const { code, output } = await runDemo({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${closedPort}` });
  assert.equal(code, 1, output);
  assert.match(output, new RegExp(`^step 2/${STEPS} FAILED: Check RabbitMQ`, 'm'));
  assert.match(
    output,
    new RegExp(`why: RabbitMQ at amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort} is not reachable`),
  );
  assert.match(output, /hint: start it/);
  assert.doesNotMatch(output, /step 3\//, 'nothing runs after the failed step');
  assert.match(output, /demo FAILED/);
});

test(
  'Ctrl-C stops everything the demo started and removes its data',
  { timeout: RUN_TIMEOUT_MS + 30_000 },
  async () => {
    let interrupted = false;
    const { code, signal, output } = await runDemo({}, (child, text) => {
      // once the services run and a connection exists: the most there is to stop
      if (!interrupted && new RegExp(`^step 6/${STEPS} ok: `, 'm').test(text)) {
        interrupted = true;
        process.kill(-child.pid, 'SIGINT'); // Ctrl-C in a terminal: the whole foreground group
      }
    });
    assert.ok(interrupted, `the demo reached step 6:\n${output}`);
    // the demo exits 130; npm then re-raises the signal on itself
    assert.ok(code === 130 || signal === 'SIGINT', `exit 130 or SIGINT expected, got ${code ?? signal}:\n${output}`);
    assert.match(output, /SIGINT: stopping everything/);
    assert.match(output, /cleanup ok: services stopped/);
    assert.match(output, /cleanup ok: emulator stopped/);
    assert.match(output, /cleanup ok: database wahooks_demo_/);
    await assertNothingLeft(output, { pids: 8, ports: 2 });
  },
);

test('the QR drawn in the terminal scans back to the same text', () => {
  const text = `2@${'x'.repeat(120)},${'A'.repeat(44)}=,${'b'.repeat(44)}=,${'C'.repeat(44)}=`; // a WhatsApp QR's shape
  const lines = renderQrForTerminal(text).split('\n');
  // each character is two modules stacked (light = ink): rasterise at 4 px per module, as a camera would see it
  const scale = 4;
  const width = lines[0].length * scale;
  const height = lines.length * 2 * scale;
  const pixels = new Uint8ClampedArray(width * height * 4);
  lines.forEach((line, row) =>
    [...line].forEach((char, col) => {
      const light = { '█': [true, true], '▀': [true, false], '▄': [false, true], ' ': [false, false] }[char];
      assert.ok(light, `unexpected character ${JSON.stringify(char)}`);
      for (const [half, isLight] of light.entries()) {
        for (let y = 0; y < scale; y++) {
          for (let x = 0; x < scale; x++) {
            const at = (((row * 2 + half) * scale + y) * width + col * scale + x) * 4;
            pixels.fill(isLight ? 255 : 0, at, at + 3);
            pixels[at + 3] = 255;
          }
        }
      }
    }),
  );
  assert.equal(jsQR(pixels, width, height)?.data, text);
});
