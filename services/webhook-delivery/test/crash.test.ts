/**
 * kill -9 of the service process (the built dist, as in production) during a burst of 2,000 events: after a
 * restart every delivery arrives at least once, and the webhook-ids the receiver saw account for every event.
 * Root `npm test` runs `tsc -b` first; on its own: `npx tsc -b services/webhook-delivery` at the repo root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { CreateWebhook } from '@wahooks/contracts';
import { createHarness, sleep, startReceiver, waitFor, type Harness } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const mainJs = path.join(here, '../dist/main.js');
const EVENTS = 2000;

let h: Harness;
let child: ChildProcess | null = null;

function startChild(): ChildProcess {
  const c = spawn(process.execPath, [mainJs], {
    env: {
      PATH: process.env.PATH ?? '',
      ...h.env.serviceEnv,
      LOG_LEVEL: 'error',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '200ms,400ms,800ms,1s,2s',
      WEBHOOK_RETRY_JITTER: '0',
      WEBHOOK_BUSY_DELAY: '200ms',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return c;
}

/**
 * Source files changed after the last build: the test would run old code. Compared with dist/.tsbuildinfo,
 * which `tsc -b` rewrites on every build that checked the sources (it re-emits only changed .js files).
 */
function newerThanBuild(): string[] {
  const src = path.join(here, '../src');
  const buildInfo = path.join(here, '../dist/.tsbuildinfo');
  const built = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : 0;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  return walk(src).filter((f) => f.endsWith('.ts') && statSync(f).mtimeMs > built);
}

beforeAll(async () => {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} missing: run "npx tsc -b" at the repo root first`);
  const stale = newerThanBuild();
  if (stale.length > 0) {
    throw new Error(
      `${stale.map((f) => path.relative(here, f)).join(', ')} changed since the last build (dist/ is stale); ` +
        'run "npx tsc -b" in services/webhook-delivery (or at the repo root) first',
    );
  }
  h = await createHarness('wd_crash', {}, { start: false });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await h.close();
});

describe('crash safety', () => {
  it('loses nothing when the process is SIGKILLed mid-burst', async () => {
    const seen = new Map<string, number>();
    const rx = await startReceiver((r) => {
      const id = r.headers['webhook-id'] as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return 200;
    });
    try {
      child = startChild();
      const { connectionId, userId } = await h.newConnection(); // also waits until the child answers commands
      await h.client.request(CreateWebhook, { userId, connectionId, url: rx.url(), events: ['*'] });

      const published: string[] = [];
      const publishing = (async () => {
        for (let i = 0; i < EVENTS; i += 100) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(100, EVENTS - i) }, () => h.publishEvent({ connectionId, userId })),
          );
          published.push(...batch.map((e) => e.id));
        }
      })();

      await waitFor(() => seen.size >= 400, 30_000, '400 deliveries before the kill');
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      const atKill = seen.size;
      await publishing; // the rest is published while the service is down
      await sleep(300);
      child = startChild();

      await waitFor(() => seen.size >= EVENTS, 90_000, `all ${EVENTS} events delivered`);
      expect(atKill).toBeLessThan(EVENTS); // the kill really happened mid-burst
      expect(new Set(published)).toEqual(new Set(seen.keys()));
      const duplicates = [...seen.values()].reduce((a, n) => a + n - 1, 0);
      process.stdout.write(`crash test: killed after ${atKill} deliveries; ${duplicates} duplicate(s) after restart\n`);

      // The record agrees: every delivery delivered once logged, attempts counted.
      const db = new pg.Client({ connectionString: h.env.databaseUrl });
      await db.connect();
      try {
        const r = await waitFor(
          async () => {
            const q = await db.query<{ status: string; n: string }>(
              'SELECT status, count(*) AS n FROM webhook_delivery.deliveries GROUP BY status',
            );
            const byStatus = Object.fromEntries(q.rows.map((x) => [x.status, Number(x.n)]));
            return byStatus.delivered === EVENTS ? byStatus : null;
          },
          10_000,
          'all deliveries recorded as delivered',
        );
        expect(r).toEqual({ delivered: EVENTS });
      } finally {
        await db.end();
      }
    } finally {
      await rx.close();
    }
  }, 180_000);
});
