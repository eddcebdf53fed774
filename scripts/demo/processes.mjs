// The processes the demo starts: the WhatsApp emulator and the services (under scripts/start.mjs, the `npm start`
// supervisor). Each runs in its own process group so a terminal Ctrl-C reaches only the demo, which then stops them
// in order. Their output is kept (the last lines) to show when something fails; WAHOOKS_DEMO_LOGS=1 prints it live.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DemoError, dim } from './output.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEPT_LINES = 400;
const live = process.env.WAHOOKS_DEMO_LOGS === '1';

/** One child process with its recent output. */
class Child {
  constructor(name, args, options) {
    this.name = name;
    this.lines = [];
    this.listeners = new Set();
    this.process = spawn(process.execPath, args, {
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.exited = new Promise((resolve) => {
      this.process.once('error', (err) => {
        this.record(`could not start: ${err.message}`);
        resolve({ code: null, signal: null });
      });
      this.process.once('close', (code, signal) => resolve({ code, signal }));
    });
    this.exited.then(({ code, signal }) => {
      this.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.record(line));
    }
  }

  record(line) {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
    if (live) process.stdout.write(`${dim(`  [${this.name}] ${line}`)}\n`);
    for (const listener of this.listeners) listener(line);
  }

  /** Resolves with the first output line for which `match(line)` is truthy (its result), or fails on exit/timeout. */
  waitForLine(match, what, timeoutMs) {
    return new Promise((resolve, reject) => {
      const done = (fn, value) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        fn(value);
      };
      const listener = (line) => {
        const result = match(line);
        if (result) done(resolve, result);
      };
      const timer = setTimeout(
        () => done(reject, new DemoError(`${this.name} did not report ${what} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.listeners.add(listener);
      this.exited.then(() => done(reject, new DemoError(`${this.name} exited (${this.exitedWith}) before ${what}`)));
      for (const line of this.lines) listener(line);
    });
  }

  get running() {
    return this.exitedWith === undefined && this.process.pid !== undefined;
  }

  /** SIGTERM, then SIGKILL (to the whole process group) after `graceMs`. Resolves once it has exited. */
  async stop(graceMs) {
    if (!this.running) return this.exited;
    const group = -this.process.pid;
    const kill = (signal) => {
      try {
        process.kill(group, signal);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    kill('SIGKILL'); // anything the child left behind in its group
    return result;
  }

  /** Kills it and its group at once (used when the demo itself is exiting abruptly). */
  killNow() {
    if (!this.running) return;
    try {
      process.kill(-this.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  tail(count) {
    return this.lines.slice(-count);
  }
}

/**
 * Starts `npm run emulator` (the built one) on `port`. Returns the child at once (so it can be stopped whatever
 * happens next) with `ready`: its URLs and root key, once it listens.
 */
export function startEmulator(port) {
  const child = new Child('wa-emulator', [path.join(repoRoot, 'libs', 'wa-emulator', 'dist', 'main.js')], {
    cwd: repoRoot,
    env: { ...process.env, WA_EMULATOR_PORT: String(port), WA_EMULATOR_HOST: '127.0.0.1' },
  });
  const ready = child
    .waitForLine(
      (line) => {
        try {
          const parsed = JSON.parse(line);
          return parsed.event === 'listening' ? parsed : undefined;
        } catch {
          return undefined;
        }
      },
      'that it listens',
      30_000,
    )
    .then((listening) => ({ url: listening.url, control: listening.control, rootKey: listening.rootKey }));
  return { child, ready };
}

/** Starts every service under scripts/start.mjs with `env` on top of this process's environment. */
export function startServices(env) {
  const child = new Child('services', [path.join(repoRoot, 'scripts', 'start.mjs')], {
    cwd: repoRoot,
    env: { ...process.env, ...env, WAHOOKS_BUILD: '0', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  /** service name → pid, from the supervisor's `started <name> (pid <n>)` lines */
  child.pids = new Map();
  child.listeners.add((line) => {
    const m = /\] started (\S+) \(pid (\d+)\)/.exec(line);
    if (m) child.pids.set(m[1], Number(m[2]));
  });
  return child;
}
