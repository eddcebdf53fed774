/**
 * Faults a test injects without touching the shared servers: a TCP proxy of its own between some services and
 * Postgres or Redis (cut: connections reset and new ones refused, as when the server is down; stall: nothing
 * forwarded either way, as in a network partition), terminating its own database's backends (what a failover,
 * a restart or an idle-connection killer does), bounded API probes, and a watch for what would crash a process.
 */
import net from 'node:net';
import pg from 'pg';

export interface FaultProxy {
  port: number;
  /** `base` (a URL of the real server) with host:port replaced by the proxy's; path and credentials kept. */
  url(base: string): string;
  /** Reset every open connection and refuse new ones (accepted, then closed at once) until restore(). */
  cut(): void;
  /** Forward nothing, either way, on open and new connections until restore(); then carry on where they were. */
  stall(): void;
  restore(): void;
  state(): 'up' | 'cut' | 'stalled';
  close(): Promise<void>;
}

const DEFAULT_PORTS: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379 };

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  piped: boolean;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const host = target.hostname;
  const port = Number(target.port || DEFAULT_PORTS[target.protocol]);
  let mode: 'up' | 'cut' | 'stalled' = 'up';
  const pairs = new Set<Pair>();

  const drop = (p: Pair) => {
    p.client.destroy();
    p.upstream?.destroy();
    pairs.delete(p);
  };
  const connectUpstream = (p: Pair) => {
    const upstream = net.connect(port, host);
    p.upstream = upstream;
    upstream.on('error', () => drop(p)).on('close', () => drop(p));
    flow(p);
  };
  /** Pipes both ways while up; while stalled, unpiped and paused, so bytes wait in the kernel buffers. */
  const flow = (p: Pair) => {
    if (!p.upstream || (mode === 'up') === p.piped) return;
    p.piped = mode === 'up';
    if (p.piped) {
      p.client.pipe(p.upstream);
      p.upstream.pipe(p.client);
    } else {
      p.client.unpipe();
      p.upstream.unpipe();
      p.client.pause();
      p.upstream.pause();
    }
  };

  const server = net.createServer((client) => {
    if (mode === 'cut') return void client.destroy();
    const p: Pair = { client, piped: false };
    pairs.add(p);
    client.on('error', () => drop(p)).on('close', () => drop(p));
    if (mode === 'stalled')
      client.pause(); // connected upstream on restore
    else connectUpstream(p);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyPort = (server.address() as net.AddressInfo).port;

  const cut = () => {
    mode = 'cut';
    for (const p of [...pairs]) {
      p.client.resetAndDestroy();
      p.upstream?.resetAndDestroy();
      pairs.delete(p);
    }
  };
  return {
    port: proxyPort,
    url(base) {
      const u = new URL(base);
      u.hostname = '127.0.0.1';
      u.port = String(proxyPort);
      return u.toString();
    },
    cut,
    stall() {
      mode = 'stalled';
      for (const p of pairs) flow(p);
    },
    restore() {
      mode = 'up';
      for (const p of [...pairs]) {
        if (p.upstream) flow(p);
        else connectUpstream(p);
      }
    },
    state: () => mode,
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The database a URL points at (its path). */
export const databaseNameOf = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1));

/**
 * Terminates, from an admin connection to the `postgres` database, every backend of `databaseUrl`'s database
 * (and only of that one: the test's own): the services' pools, their checked-out clients, their transactions.
 */
export async function startBackendTerminator(databaseUrl: string) {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), application_name: 'e2e-terminator' });
  await client.connect();
  const name = databaseNameOf(databaseUrl);
  let total = 0;
  let rounds = 0;
  return {
    /** One round; resolves with the backends terminated in it. */
    async terminate(): Promise<number> {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      rounds++;
      total += rows[0]!.n;
      return rows[0]!.n;
    },
    /** Backends terminated so far, and in how many rounds. */
    counts: () => ({ total, rounds }),
    close: () => client.end(),
  };
}

export interface ProbeResult {
  path: string;
  status: number; // 0: no answer within the bound
  retryAfter: string | null;
  ms: number;
}

/** One API call with a bound: a hang shows up as status 0 instead of stalling the test. */
export async function probe(baseUrl: string, path: string, token: string, boundMs: number): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(boundMs),
    });
    await res.arrayBuffer();
    return { path, status: res.status, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
  } catch {
    return { path, status: 0, retryAfter: null, ms: Date.now() - started };
  }
}

/** What the API promises during a fault: a success, or a 503 that says when to retry. Never a hang, never a 500. */
export const acceptableDuringFault = (r: ProbeResult): boolean =>
  (r.status >= 200 && r.status < 300) || (r.status === 503 && r.retryAfter !== null && r.retryAfter !== '');

/**
 * Probes `paths` every `everyMs` until stopped; every answer is kept. Runs alongside a fault so the API is seen
 * at every phase of it.
 */
export function startProber(baseUrl: string, token: string, paths: string[], everyMs: number, boundMs: number) {
  const results: ProbeResult[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      results.push(...(await Promise.all(paths.map((p) => probe(baseUrl, p, token, boundMs)))));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    results,
    async stop() {
      stopped = true;
      await loop;
      return results;
    },
  };
}

/**
 * Unhandled rejections and uncaught exceptions while a test runs: each would end a service process in
 * production (Node's default), so a fault test asserts there were none.
 */
export function watchForCrashes() {
  const crashes: string[] = [];
  const onRejection = (reason: unknown) =>
    crashes.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  const onException = (err: Error) => crashes.push(`uncaughtException: ${err.stack ?? err.message}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    crashes,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

export interface HealthSample {
  at: number; // Date.now()
  status: number; // HTTP status of GET /api/health (0: no answer within the bound)
  body?: {
    status: 'ok' | 'degraded';
    checks: {
      database: { status: string; error?: string };
      redis: { status: string; error?: string };
      services: Record<string, { status: string; error?: string }>;
    };
  };
}

/** GET /api/health every `everyMs` until stopped, so a test can say what health showed during each phase. */
export function startHealthSampler(baseUrl: string, everyMs: number, boundMs = 10_000) {
  const samples: HealthSample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(boundMs) });
        samples.push({ at, status: res.status, body: (await res.json()) as HealthSample['body'] });
      } catch {
        samples.push({ at, status: 0 });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    /** Samples taken between `from` and `to` (Date.now() values). */
    between: (from: number, to: number) => samples.filter((s) => s.at >= from && s.at <= to),
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}
