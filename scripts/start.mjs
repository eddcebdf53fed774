#!/usr/bin/env node
// `npm start`: build what changed, then run every built service under one supervisor.
//
//   WAHOOKS_SERVICES=gateway,token   run only these (default: every folder under services/)
//   WAHOOKS_BUILD=0                  skip `tsc -b` (default: build first; it is quick when up to date)
//   WAHOOKS_TELEMETRY=0              do not preload @wahooks/telemetry/register
//   WAHOOKS_DRAIN_TIMEOUT_MS=15000   how long Ctrl-C/SIGTERM waits for services to drain before SIGKILL
//   WAHOOKS_SERVICES_DIR=services    where service folders are (tests of this script point it elsewhere)
//
// Each child runs `node --enable-source-maps --import <telemetry register> dist/main.js` in its own folder,
// with this process's environment (plus `.env` at the repo root when present) and OTEL_SERVICE_NAME=<service>.
// Output lines are prefixed with the service name. A child that crashes (non-zero exit or signal) is restarted
// with backoff, at most 5 times a minute; one that exits 0 on its own is considered finished. Ctrl-C or SIGTERM
// sends SIGTERM to every child, waits for them, then exits 0. Dependency-free on purpose.
// Tests: `node --test scripts/test/*.test.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `.env` at the repo root, if any: KEY=VALUE lines; variables already set in the environment win. */
function loadDotEnv() {
  const file = path.join(root, '.env');
  if (!existsSync(file)) return {};
  const vars = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const quoted = /^(['"])(.*?)\1(\s+#.*)?$/.exec(m[2]);
    vars[m[1]] = quoted ? quoted[2] : m[2].replace(/\s+#.*$/, '');
  }
  return vars;
}

for (const [k, v] of Object.entries(loadDotEnv())) process.env[k] ??= v;

const servicesDir = process.env.WAHOOKS_SERVICES_DIR
  ? path.resolve(process.env.WAHOOKS_SERVICES_DIR)
  : path.join(root, 'services');
const drainTimeoutMs = Number(process.env.WAHOOKS_DRAIN_TIMEOUT_MS || 15_000);
const RESTART_WINDOW_MS = 60_000;
const MAX_RESTARTS_PER_WINDOW = 5;

// ---------------------------------------------------------------------------------------------- output

const useColor = process.env.FORCE_COLOR
  ? process.env.FORCE_COLOR !== '0'
  : process.stdout.isTTY && !process.env.NO_COLOR;
const palette = [36, 33, 35, 32, 34, 91, 96, 93];
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
let labelWidth = 'wahooks'.length;
const label = (name, color) => paint(color, `[${name.padEnd(labelWidth)}]`);
const say = (msg) => process.stdout.write(`${label('wahooks', 90)} ${msg}\n`);
const warn = (msg) => process.stderr.write(`${label('wahooks', 90)} ${paint(31, msg)}\n`);

// ---------------------------------------------------------------------------------------------- setup

function build() {
  if (process.env.WAHOOKS_BUILD === '0') return;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    warn('typescript is not installed: run `npm ci` first');
    process.exit(1);
  }
  say('building (tsc -b)…');
  const started = Date.now();
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    warn('build failed (see above); fix it, or start the last build anyway with WAHOOKS_BUILD=0');
    process.exit(result.status ?? 1);
  }
  say(`build ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function selectServices() {
  const all = readdirSync(servicesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(servicesDir, d.name, 'package.json')))
    .map((d) => d.name)
    .sort();
  const wanted = (process.env.WAHOOKS_SERVICES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length > 0) {
    warn(`WAHOOKS_SERVICES names unknown service(s): ${unknown.join(', ')} (known: ${all.join(', ')})`);
    process.exit(1);
  }
  return wanted.length > 0 ? all.filter((s) => wanted.includes(s)) : all;
}

// ---------------------------------------------------------------------------------------------- children

const registerFile = path.join(root, 'libs', 'telemetry', 'dist', 'register.js');
const children = new Map(); // name -> state
let shuttingDown = false;

function pipeLines(stream, out, prefix) {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function launch(state) {
  const args = ['--enable-source-maps'];
  if (process.env.WAHOOKS_TELEMETRY !== '0' && existsSync(registerFile)) {
    args.push('--import', pathToFileURL(registerFile).href);
  }
  args.push('dist/main.js');
  const child = spawn(process.execPath, args, {
    cwd: state.dir,
    env: { ...process.env, OTEL_SERVICE_NAME: state.name },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal Ctrl-C reaches only the supervisor, which then drains children with SIGTERM.
    detached: true,
  });
  state.child = child;
  state.startedAt = Date.now();
  const prefix = label(state.name, state.color);
  pipeLines(child.stdout, process.stdout, prefix);
  pipeLines(child.stderr, process.stderr, prefix);
  child.on('error', (err) => warn(`${state.name}: could not start: ${err.message}`));
  child.on('close', (code, signal) => onExit(state, code, signal)); // 'close': output fully read
  say(`started ${state.name} (pid ${child.pid})`);
}

function onExit(state, code, signal) {
  state.child = undefined;
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const ranFor = `${((Date.now() - state.startedAt) / 1000).toFixed(1)} s`;
  if (shuttingDown) {
    say(`${state.name} stopped (${how})`);
    return maybeFinish();
  }
  if (code === 0) {
    // A service that ends by itself with success is done (e.g. a placeholder main); restarting it would spin.
    say(`${state.name} exited (${how}) after ${ranFor}; not restarting`);
    state.done = true;
    return maybeFinish();
  }
  const now = Date.now();
  state.restarts = state.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
  if (state.restarts.length >= MAX_RESTARTS_PER_WINDOW) {
    warn(`${state.name} crashed (${how}); ${MAX_RESTARTS_PER_WINDOW} restarts in the last minute, giving up on it`);
    state.done = true;
    state.failed = true;
    return maybeFinish();
  }
  const delay = Math.min(500 * 2 ** state.restarts.length, 15_000);
  state.restarts.push(now);
  warn(`${state.name} crashed (${how}) after ${ranFor}; restarting in ${delay} ms`);
  state.timer = setTimeout(() => {
    state.timer = undefined;
    if (!shuttingDown) launch(state);
  }, delay);
}

/** The supervisor ends on its own when nothing runs and nothing is scheduled to run. */
function maybeFinish() {
  const alive = [...children.values()].some((s) => s.child || s.timer);
  if (alive) return;
  if (shuttingDown) {
    say('all services stopped');
    process.exit(0);
  }
  const failed = [...children.values()].filter((s) => s.failed).map((s) => s.name);
  say(failed.length ? `no service left running (gave up on: ${failed.join(', ')})` : 'no service left running');
  process.exit(failed.length ? 1 : 0);
}

function shutdown(signal) {
  if (shuttingDown) {
    warn(`${signal} again: killing every service now`);
    for (const s of children.values()) s.child?.kill('SIGKILL');
    process.exit(1);
  }
  shuttingDown = true;
  const running = [...children.values()].filter((s) => s.child);
  for (const s of children.values()) {
    if (!s.timer) continue;
    clearTimeout(s.timer);
    s.timer = undefined;
  }
  say(`${signal}: draining ${running.map((s) => s.name).join(', ') || 'nothing'} (up to ${drainTimeoutMs / 1000} s)`);
  for (const s of running) s.child.kill('SIGTERM');
  setTimeout(() => {
    for (const s of children.values()) {
      if (!s.child) continue;
      warn(`${s.name} did not stop within ${drainTimeoutMs / 1000} s: SIGKILL`);
      s.child.kill('SIGKILL');
    }
  }, drainTimeoutMs).unref();
  maybeFinish();
}

// ---------------------------------------------------------------------------------------------- main

const selected = selectServices();
labelWidth = Math.max(labelWidth, ...selected.map((s) => s.length));
build();
let colorIndex = 0;
for (const name of selected) {
  const dir = path.join(servicesDir, name);
  if (!existsSync(path.join(dir, 'dist', 'main.js'))) {
    say(`skipped ${name}: not built yet`);
    continue;
  }
  children.set(name, { name, dir, color: palette[colorIndex++ % palette.length], restarts: [], done: false });
}
if (children.size === 0) {
  say('nothing to run');
  process.exit(0);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => shutdown(sig));
// Children live in their own process groups: never leave them behind if the supervisor itself dies.
process.on('exit', () => {
  for (const s of children.values()) s.child?.kill('SIGKILL');
});
process.on('uncaughtException', (err) => {
  warn(`supervisor error: ${err.stack ?? err}`);
  process.exit(1);
});
for (const state of children.values()) launch(state);
