// Behaviour of scripts/start.mjs against throwaway services: `node --test scripts/test/*.test.mjs`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const startScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'start.mjs');
let dir;

const services = {
  quick: `console.log('quick ran'); // exits 0 at once`,
  crasher: `console.log('crasher up ' + process.env.MARK); setTimeout(() => process.exit(3), 50);`,
  drainer: `console.log('drainer up'); const t = setInterval(() => {}, 1000);
            process.on('SIGTERM', () => { console.log('drainer draining');
              setTimeout(() => { console.log('drainer drained'); clearInterval(t); }, 300); });
            process.on('SIGINT', () => console.log('drainer got SIGINT'));`,
  stubborn: `console.log('stubborn up'); setInterval(() => {}, 1000); process.on('SIGTERM', () => console.log('ignoring'));`,
};

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wahooks-start-'));
  for (const [name, code] of Object.entries(services)) {
    mkdirSync(path.join(dir, name, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, name, 'package.json'), JSON.stringify({ name: `@wahooks/${name}`, type: 'module' }));
    writeFileSync(path.join(dir, name, 'dist', 'main.js'), code);
  }
  mkdirSync(path.join(dir, 'unbuilt'));
  writeFileSync(path.join(dir, 'unbuilt', 'package.json'), '{}');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the supervisor; `act(child, output)` may signal it. Resolves with its exit code and output. */
function supervise(env, act = () => undefined) {
  const child = spawn(process.execPath, [startScript], {
    env: {
      ...process.env,
      WAHOOKS_BUILD: '0',
      WAHOOKS_TELEMETRY: '0',
      WAHOOKS_SERVICES_DIR: dir,
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, like a terminal session: Ctrl-C = SIGINT to the whole group
  });
  const out = { text: '' };
  child.stdout.on('data', (c) => (out.text += c));
  child.stderr.on('data', (c) => (out.text += c));
  act(child, out);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output: out.text })));
}

const waitFor = async (out, pattern, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!pattern.test(out.text)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}:\n${out.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('skips unbuilt services; a service that exits 0 is not restarted; ends when nothing runs', async () => {
  const { code, output } = await supervise({ WAHOOKS_SERVICES: 'quick,unbuilt' });
  assert.equal(code, 0);
  assert.match(output, /skipped unbuilt: not built yet/);
  assert.match(output, /\[quick +\] quick ran/);
  assert.equal(output.match(/started quick/g).length, 1);
  assert.match(output, /quick exited \(code 0\).*not restarting/);
});

test('restarts a crashing service with growing backoff, forwarding the environment', async () => {
  const { code, output } = await supervise({ WAHOOKS_SERVICES: 'crasher', MARK: 'env-ok' }, async (child, out) => {
    await waitFor(out, /restarting in 1000 ms/);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
  assert.match(output, /crasher up env-ok/);
  assert.match(output, /crasher crashed \(code 3\).*restarting in 500 ms/);
  assert.match(output, /restarting in 1000 ms/);
  assert.equal(output.match(/started crasher/g).length, 2);
});

test('SIGINT drains every service with SIGTERM, SIGKILLs the stubborn one after the timeout, exits 0', async () => {
  const started = Date.now();
  const { code, output } = await supervise(
    { WAHOOKS_SERVICES: 'drainer,stubborn', WAHOOKS_DRAIN_TIMEOUT_MS: '1500' },
    async (child, out) => {
      await waitFor(out, /drainer up[\s\S]*stubborn up|stubborn up[\s\S]*drainer up/);
      process.kill(-child.pid, 'SIGINT'); // what a terminal's Ctrl-C does
    },
  );
  assert.equal(code, 0);
  assert.match(output, /drainer draining[\s\S]*drainer drained[\s\S]*drainer stopped \(code 0\)/);
  assert.match(output, /stubborn did not stop within 1.5 s: SIGKILL/);
  assert.match(output, /all services stopped/);
  assert.doesNotMatch(output, /drainer got SIGINT/); // the services are in process groups of their own
  assert.ok(Date.now() - started < 10_000);
});

test('an unknown name in WAHOOKS_SERVICES is an error naming the known ones', async () => {
  const { code, output } = await supervise({ WAHOOKS_SERVICES: 'quick,nope' });
  assert.equal(code, 1);
  assert.match(output, /unknown service\(s\): nope \(known: crasher, drainer, quick, stubborn, unbuilt\)/);
});
