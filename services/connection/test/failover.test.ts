/**
 * Two real replicas (child processes of the built service) share sessions; SIGKILL one and its sessions move to
 * the other within the lease time, without a new QR, never with two sockets for one session (no 440), and with
 * every inbound event of the outage published.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { CreateConnection, ReadConnection, WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { askOwner } from '../src/commands/session-client.js';
import { logger, waitFor } from './support/emulated.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LEASE_MS = 3000;

interface Replica {
  name: string;
  proc: ChildProcess;
  lines: string[];
}

let env: TestEnv;
let emulator: Emulator;
let client: Broker;
let consumer: Broker;
let db: pg.Pool;
const replicas: Replica[] = [];
const published: WhatsAppEventPayload[] = [];
const userId = randomUUID();

function startReplica(name: string): Replica {
  const proc = spawn(process.execPath, ['dist/main.js'], {
    cwd: pkgDir,
    env: {
      ...process.env,
      ...env.serviceEnv,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'info',
      WA_LOG_LEVEL: 'silent',
      WA_WEBSOCKET_URL: emulator.url,
      WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
      SESSION_LEASE_MS: String(LEASE_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Replica = { name, proc, lines: [] };
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      r.lines.push(...parts);
    });
  }
  replicas.push(r);
  return r;
}

const owners = async () =>
  (
    await db.query<{ id: string; owner: string | null; status: string }>(
      'SELECT id, owner, status FROM connection.connections',
    )
  ).rows;

beforeAll(async () => {
  execFileSync('npx', ['tsc', '-b'], { cwd: pkgDir, stdio: 'inherit', timeout: 180_000 });
  env = await createTestEnv('conn_failover');
  emulator = await startEmulator();
  db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  consumer = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'webhook-delivery',
    namespace: env.namespace,
    logger,
  });
  await consumer.subscribe('failover-test', [on(WhatsAppEvent, async (p) => void published.push(p))]);
}, 240_000);

afterAll(async () => {
  for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  await client?.close();
  await consumer?.close();
  await db?.end();
  await emulator?.close();
  await env?.cleanup();
});

describe('two replicas', () => {
  it('split sessions, and a SIGKILLed replica hands them over without re-pairing or losing events', async () => {
    const a = startReplica('a');
    const b = startReplica('b');
    await waitFor(
      () => [a, b].every((r) => r.lines.some((l) => l.includes('connection service started'))),
      'replicas up',
      60_000,
    );

    // Four linked connections.
    const phones = new Map<string, string>();
    for (let i = 0; i < 4; i++) {
      const { id } = await client.request(CreateConnection, { userId, name: `c${i}` });
      const qr = await waitFor(
        async () => ((await askOwner(client, id, 'qr')) as { raw?: string } | undefined)?.raw,
        `QR of c${i}`,
        30_000,
        200,
      );
      const { phone } = await emulator.scan(qr);
      phones.set(id, phone);
    }
    await waitFor(async () => (await owners()).every((o) => o.status === 'working'), 'all connected', 60_000, 200);
    const split = await waitFor(
      async () => {
        const rows = await owners();
        const byOwner = new Map<string, number>();
        for (const r of rows) byOwner.set(r.owner ?? '-', (byOwner.get(r.owner ?? '-') ?? 0) + 1);
        return byOwner.size === 2 && [...byOwner.values()].every((n) => n === 2) && rows;
      },
      'a 2/2 split',
      60_000,
      200,
    );
    const pidA = String(a.proc.pid);
    const ofA = split.filter((r) => r.owner?.endsWith(`:${pidA}`)).map((r) => r.id);
    expect(ofA).toHaveLength(2);
    await waitFor(
      () => ofA.every((id) => emulator.accounts().find((x) => x.phone === phones.get(id))?.connected),
      'A connected',
    );

    // SIGKILL a; messages keep arriving for its numbers (the emulator queues them while nobody is connected).
    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    const sent: { id: string; msgId: string }[] = [];
    for (const id of ofA)
      for (let n = 0; n < 5; n++) {
        const { id: msgId } = await emulator.inbound({
          to: phones.get(id)!,
          from: '15557654321',
          type: 'text',
          text: `m${n}`,
        });
        sent.push({ id, msgId });
      }

    await waitFor(
      async () => (await owners()).every((o) => o.owner?.endsWith(`:${b.proc.pid}`)),
      'b owns everything',
      30_000,
      100,
    );
    await waitFor(
      () => ofA.every((id) => emulator.accounts().find((x) => x.phone === phones.get(id))?.connected),
      'reconnected on b',
      30_000,
      100,
    );
    const failoverMs = Date.now() - killedAt;
    expect(failoverMs).toBeLessThan(LEASE_MS * 4);
    for (const id of ofA)
      expect((await client.request(ReadConnection, { userId, connectionId: id })).status).toBe('connected');
    expect(emulator.accounts().every((x) => !x.loggedOut)).toBe(true); // no re-pairing

    // Every message of the outage reaches the broker, in order per connection.
    await waitFor(
      () =>
        sent.every((s) =>
          published.some((p) => p.event === 'message' && (p.payload as { id: string }).id.endsWith(`_${s.msgId}`)),
        ),
      'all outage messages published',
      30_000,
      100,
    );
    for (const id of ofA) {
      const bodies = published
        .filter((p) => p.connectionId === id && p.event === 'message')
        .map((p) => (p.payload as { body: string }).body);
      expect([...new Set(bodies)]).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    }
    // Never two sockets for one session: no replica saw a 440 (connection replaced).
    const conflicts = replicas.flatMap((r) => r.lines.filter((l) => l.includes('"statusCode":440')));
    expect(conflicts).toEqual([]);
    console.log(`failover of 2 sessions after SIGKILL: ${failoverMs} ms (lease ${LEASE_MS} ms)`);
  }, 240_000);
});
