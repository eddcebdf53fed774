/**
 * Service replicas as separate processes: `node --enable-source-maps dist/main.js` in the service's folder (its
 * built output), with the environment a test gives it. Every stdout/stderr line is kept for assertions and for a
 * failure message; a replica is ready when its own start line appears. `killAll` ends every child still running
 * (afterAll, also after a failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVICES = ['gateway', 'token', 'connection', 'messaging', 'webhook-delivery', 'billing'] as const;
export type ServiceName = (typeof SERVICES)[number];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const serviceDir = (service: ServiceName) => path.join(repoRoot, 'services', service);

/** The info line each service logs once it serves (see each service's service.ts). */
const READY_LINE: Record<ServiceName, string> = {
  gateway: 'gateway listening',
  token: 'token service ready',
  connection: 'connection service started',
  messaging: 'messaging service ready',
  'webhook-delivery': 'webhook-delivery started',
  billing: 'billing service ready',
};

export interface Replica {
  service: ServiceName;
  /** e.g. "token#2": the service and the order it was started in. */
  name: string;
  proc: ChildProcess;
  pid: number;
  lines: string[];
  /** Set when the test sent it a signal (so its refused connections are expected). */
  signalled?: NodeJS.Signals;
  /** Resolves with the exit code (null when a signal ended it) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** The gateway's URL (from its "gateway listening" line). */
  url?: string;
}

/** Fails at once, with the command to run, when a service has not been built. */
export function assertBuilt(): void {
  const missing = SERVICES.filter((s) => !existsSync(path.join(serviceDir(s), 'dist/main.js')));
  if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run \`npx tsc -b\` at the root first)`);
}

export class ReplicaSet {
  readonly all: Replica[] = [];
  private started = new Map<ServiceName, number>();

  constructor(private readonly baseEnv: Record<string, string>) {}

  /** Starts one replica and resolves when it logged its ready line (or fails with its output). */
  async start(service: ServiceName, env: Record<string, string> = {}, readyMs = 90_000): Promise<Replica> {
    const n = (this.started.get(service) ?? 0) + 1;
    this.started.set(service, n);
    const proc = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
      cwd: serviceDir(service),
      // NODE_OPTIONS is jest's (vm modules); the child is a plain service process.
      env: { ...process.env, NODE_OPTIONS: '', OTEL_SERVICE_NAME: service, ...this.baseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const replica: Replica = {
      service,
      name: `${service}#${n}`,
      proc,
      pid: proc.pid!,
      lines: [],
      exited,
      running: () => proc.exitCode === null && proc.signalCode === null,
    };
    for (const stream of [proc.stdout!, proc.stderr!]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        partial += chunk.toString('utf8');
        const parts = partial.split('\n');
        partial = parts.pop()!;
        replica.lines.push(...parts);
      });
    }
    this.all.push(replica);

    const end = Date.now() + readyMs;
    for (;;) {
      const ready = replica.lines.find((l) => l.includes(READY_LINE[service]));
      if (ready) {
        if (service === 'gateway') replica.url = `http://127.0.0.1:${(JSON.parse(ready) as { port: number }).port}`;
        return replica;
      }
      if (!replica.running() || Date.now() > end) throw new Error(`${replica.name} did not start:\n${tail(replica)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Replicas of `service` still running, oldest first. */
  live(service: ServiceName): Replica[] {
    return this.all.filter((r) => r.service === service && r.running());
  }

  /** Sends `signal` and waits (up to `ms`) for the exit. */
  async stop(replica: Replica, signal: NodeJS.Signals, ms = 60_000) {
    replica.signalled = signal;
    replica.proc.kill(signal);
    const timer = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${replica.name} still running ${ms} ms after ${signal}`)), ms).unref(),
    );
    const startedAt = Date.now();
    const exit = await Promise.race([replica.exited, timer]);
    return { ...exit, ms: Date.now() - startedAt };
  }

  /** SIGKILLs every child still running and waits for their exits. */
  async killAll(): Promise<void> {
    const running = this.all.filter((r) => r.running());
    for (const r of running) r.proc.kill('SIGKILL');
    await Promise.all(running.map((r) => r.exited));
  }

  /** Lines of every replica at level error/fatal (pino: "level":"error"), prefixed by the replica's name. */
  errorLines(): string[] {
    return this.all.flatMap((r) =>
      r.lines
        .filter((l) => /"level":"(error|fatal)"/.test(l) || /^\s*at |Error:/.test(l))
        .map((l) => `${r.name}: ${l}`),
    );
  }

  /** Writes every replica's lines to `<dir>/<service>-<n>.log`. */
  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const r of this.all)
      writeFileSync(path.join(dir, `${r.name.replace('#', '-')}.log`), `${r.lines.join('\n')}\n`);
  }

  /** The last lines of every replica, for a failure message. */
  describe(lines = 15): string {
    return this.all.map((r) => tail(r, lines)).join('\n');
  }
}

function tail(r: Replica, lines = 40): string {
  const state = r.running() ? 'running' : `exited ${r.proc.exitCode ?? r.proc.signalCode}`;
  return `--- ${r.name} (pid ${r.pid}, ${state})\n${r.lines.slice(-lines).join('\n')}`;
}
