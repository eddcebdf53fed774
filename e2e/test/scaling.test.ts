/**
 * Scaling proof (issue 16): two replicas of every service, each a separate process of its built output, on one
 * broker namespace, database and Redis prefix, with the WhatsApp emulator and a local webhook receiver. A mixed
 * load runs throughout: API reads on both gateways, texts from a contact to four linked sessions (webhook
 * deliveries), sends through the REST API. Checked:
 *  - work is split: each replica of each service handled some of it (counted from the spans each process exports,
 *    by process id), and the four sessions are held two by each connection replica;
 *  - while the load continues, one replica of each service is stopped with SIGTERM (exits 0 after its drain) and
 *    replaced, then the other original is SIGKILLed: the API keeps answering (a 503 with Retry-After, or a 504 on
 *    a send, which the client retries with its Idempotency-Key, are the documented answers; never a 500 or a hang),
 *    the sessions move to the surviving connection replica within the lease, every injected message reaches the
 *    receiver at least once and every accepted send reached the contact's phone exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import jsQRModule from 'jsqr';
import pg from 'pg';
import { PNG } from 'pngjs';
import { createClient } from 'redis';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { startJwksServer, type JwksServer } from '../../services/gateway/test/jwks-server.js';
import { gatewayPool, type Answer, type GatewayPool } from './support/gateway-pool.js';
import { startHookReceiver, type HookReceiver } from './support/hook-receiver.js';
import { inboundStages } from './support/inbound-trace.js';
import { assertBuilt, ReplicaSet, SERVICES, type Replica, type ServiceName } from './support/replicas.js';
import { startLoad, type LinkedSession, type Load } from './support/scaling-load.js';
import { startSpanCounter, type SpanCounter } from './support/span-counter.js';

// jsqr is CommonJS; its types declare an ES default export
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

const CONTACT = '15557654321';
const SESSIONS = 4;
/** Short lease so a SIGKILLed connection replica's sessions move within seconds (README: "within about this"). */
const LEASE_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let env: TestEnv;
let emulator: Emulator;
let receiver: HookReceiver;
let spans: SpanCounter;
let jwks: JwksServer;
let replicas: ReplicaSet;
let pool: GatewayPool;
let db: pg.Pool;
let passed = false;
/** What the test did when (Date.now()), for failure messages. */
const marks: { at: number; what: string }[] = [];
const mark = (what: string) => marks.push({ at: Date.now(), what });
/** `at` as "+1.2s after <the last mark before it>". */
const phaseOf = (at: number) => {
  const m = [...marks].reverse().find((x) => x.at <= at);
  return m ? `+${((at - m.at) / 1000).toFixed(1)}s after ${m.what}` : 'before the first mark';
};

/** Per-service variables on top of the shared ones (all replicas of a service get the same). */
const serviceEnv = (): Record<ServiceName, Record<string, string>> => ({
  gateway: {
    PORT: '0',
    SUPABASE_JWKS_URL: jwks.url,
    RATE_LIMIT_PER_MINUTE: '100000',
  },
  token: { TOKEN_LAST_USED_FLUSH_MS: '200' },
  connection: {
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: process.env.SCALING_WA_LOG_LEVEL ?? 'silent', // Baileys' own log (debug: for digging into a failure)
    SESSION_LEASE_MS: String(LEASE_MS),
    BILLING_GATE: 'on', // creates ask billing (self-hosted mode: no Stripe key), so billing is on the path
  },
  messaging: { MESSAGING_PRESENCE_SCALE: '0' },
  'webhook-delivery': {
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE: '200ms,1s,2s,5s,10s,20s',
    // A delivery whose queue message went with a SIGKILLed replica is re-enqueued by the sweep.
    WEBHOOK_SWEEP_INTERVAL: '5s',
    WEBHOOK_SWEEP_MARGIN: '10s',
  },
  billing: {},
});

const startReplica = (service: ServiceName) => replicas.start(service, serviceEnv()[service], 180_000);

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out (${ms} ms) waiting for ${what}`);
    await sleep(200);
  }
}

/** connection.connections: which replica (owner `<host>:<pid>`) holds each session, and its status. */
async function owners(): Promise<{ id: string; pid: number; status: string }[]> {
  const { rows } = await db.query<{ id: string; owner: string | null; status: string }>(
    'SELECT id, owner, status FROM connection.connections',
  );
  return rows.map((r) => ({ id: r.id, pid: Number(r.owner?.split(':').pop() ?? 0), status: r.status }));
}

/** Sessions held per connection replica pid. */
async function holdings(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const o of await owners()) if (o.pid) out.set(o.pid, (out.get(o.pid) ?? 0) + 1);
  return out;
}

async function linkSession(apiToken: string, n: number): Promise<LinkedSession> {
  const created = await pool.call('POST', '/api/connections', { token: apiToken, body: { name: `scaling ${n}` } });
  if (created.status !== 201) throw new Error(`create connection: ${created.status} ${JSON.stringify(created.body)}`);
  const connectionId: string = created.body.id;
  await until(
    'the webhook (after the ownership event reached webhook-delivery)',
    async () =>
      (
        await pool.call('POST', `/api/connections/${connectionId}/webhooks`, {
          token: apiToken,
          body: { url: receiver.url, events: ['message'] },
        })
      ).status === 201,
    60_000,
  );
  const png = await until(
    'a QR',
    async () => {
      const r = await pool.call('GET', `/api/connections/${connectionId}/qr`, { token: apiToken });
      return r.status === 200 && (r.body.value as string | undefined);
    },
    60_000,
  );
  const image = PNG.sync.read(Buffer.from(png, 'base64'));
  const qr = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data;
  const { phone } = await emulator.scan(qr);
  await until(
    `session ${n} connected`,
    async () =>
      (await pool.call('GET', `/api/connections/${connectionId}`, { token: apiToken })).body?.status === 'connected',
    60_000,
  );
  return { connectionId, phone };
}

/** Work spans per replica of `service`, for the replicas given. */
const workOf = (service: ServiceName, of: Replica[]) =>
  of.map((r) => ({ replica: r.name, spans: spans.byPid(service).get(r.pid) ?? 0 }));

/** An answer the API may give while replicas come and go (gateway README, services' READMEs). */
const acceptable = (a: Answer) =>
  (a.status >= 200 && a.status < 300) ||
  (a.status === 503 && !!a.retryAfter) ||
  (a.status === 504 && a.method === 'POST' && a.path.endsWith('/send')); // outcome unknown: retried with its key

// On by default (part of `npm test`); WAHOOKS_SCALING_TEST=0 skips it. It found two Signal session defects
// (fixed) and showed that handovers can still break a contact's session: those messages are healed by retry
// receipts, as on WhatsApp, and counted in the summary it prints (services/connection README, known gaps).
const enabled = process.env.WAHOOKS_SCALING_TEST !== '0';
const describeScaling = enabled ? describe : describe.skip;

beforeAll(async () => {
  if (!enabled) return;
  assertBuilt();
  env = await createTestEnv('e2e_scaling');
  emulator = await startEmulator();
  receiver = await startHookReceiver();
  spans = await startSpanCounter();
  jwks = await startJwksServer();
  db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  replicas = new ReplicaSet({
    ...env.serviceEnv,
    LOG_LEVEL: 'info',
    PUBLIC_API_URL: 'https://api.wahooks.example',
    METRICS_PORT: '0', // two replicas on one machine: an ephemeral metrics port each, where there is one
    OTEL_EXPORTER_OTLP_ENDPOINT: spans.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '500', // ms between span exports
  });
  pool = gatewayPool(replicas);
  // Two of each, all at once (migrations run under an advisory lock).
  await Promise.all(SERVICES.flatMap((s) => [startReplica(s), startReplica(s)]));
}, 300_000);

afterAll(async () => {
  if (!enabled) return;
  if (!passed && replicas) console.log(`replica output (last lines):\n${replicas.describe(25)}`);
  // SCALING_LOGS_DIR=<dir>: every replica's whole output, one file each (for digging into a failure).
  if (replicas && process.env.SCALING_LOGS_DIR) replicas.writeLogs(process.env.SCALING_LOGS_DIR);
  await replicas?.killAll();
  await db?.end();
  await spans?.close();
  await receiver?.close();
  await jwks?.close();
  await emulator?.close();
  if (env) {
    const redis = createClient({ url: env.redisUrl });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${env.redisPrefix}*`, COUNT: 500 }))
      if (keys.length > 0) await redis.del(keys);
    await redis.quit();
    await env.cleanup();
  }
}, 120_000);

describeScaling('two replicas of every service', () => {
  it('split the work, and survive SIGTERM and SIGKILL of replicas under load without losing work', async () => {
    const t0 = Date.now();
    const userId = randomUUID();
    const jwt = await jwks.sign({ sub: userId, email: `${userId}@example.test` });
    expect((await pool.call('GET', '/api/me', { token: jwt })).status).toBe(200); // the user exists now
    const created = await pool.call('POST', '/api/tokens', { token: jwt, body: { name: 'scaling' } });
    expect(created.status).toBe(201);
    const apiToken: string = created.body.token;

    const sessions: LinkedSession[] = [];
    for (let n = 0; n < SESSIONS; n++) sessions.push(await linkSession(apiToken, n));
    const [conn1, conn2] = replicas.live('connection');
    await until(
      'the sessions split 2/2 between the connection replicas',
      async () => {
        const h = await holdings();
        return h.get(conn1!.pid) === SESSIONS / 2 && h.get(conn2!.pid) === SESSIONS / 2;
      },
      90_000,
    );
    const linkedAt = Date.now();
    mark('sessions linked, load started');

    // Steady load on all twelve replicas.
    const load: Load = startLoad({ pool, emulator, sessions, contact: CONTACT, jwt, apiToken });
    const originals = new Map(SERVICES.map((s) => [s, replicas.live(s)]));
    await until(
      'every original replica to have handled work',
      () => SERVICES.every((s) => workOf(s, originals.get(s)!).every((w) => w.spans > 0)),
      60_000,
    ).catch((err: Error) => {
      const report = SERVICES.map((s) => `${s}: ${JSON.stringify(workOf(s, originals.get(s)!))}`).join('\n');
      throw new Error(`${err.message}\n${report}`);
    });
    await sleep(10_000); // a while of steady load before the faults
    const split = Object.fromEntries(SERVICES.map((s) => [s, workOf(s, originals.get(s)!).map((w) => w.spans)]));
    const perGateway = pool.perGateway();
    for (const g of originals.get('gateway')!) expect(perGateway.get(g.name) ?? 0).toBeGreaterThan(0);
    expect(spans.unreadable()).toBe(0);
    const steadyAt = Date.now();

    // SIGTERM one replica of each service, one at a time, each replaced once it has exited; load continues.
    const sigterms: { replica: string; code: number | null; ms: number }[] = [];
    for (const service of SERVICES) {
      const victim = replicas.live(service)[0]!;
      mark(`SIGTERM ${victim.name}`);
      const exit = await replicas.stop(victim, 'SIGTERM', 90_000);
      sigterms.push({ replica: victim.name, code: exit.code, ms: exit.ms });
      mark(`${victim.name} exited ${exit.code}`);
      mark(`${(await startReplica(service)).name} started`);
      if (service === 'connection') {
        // The survivor took the released sessions; the replacement gets its share back before the SIGKILL below.
        const [survivor, replacement] = replicas.live('connection');
        await until(
          'the replacement connection replica to hold a share of the sessions',
          async () => {
            const h = await holdings();
            return (h.get(survivor!.pid) ?? 0) > 0 && (h.get(replacement!.pid) ?? 0) > 0;
          },
          90_000,
        );
      }
      await sleep(2000);
    }
    const sigtermAt = Date.now();

    // SIGKILL the other original of each service; load continues.
    const sigkilled: string[] = [];
    let takeoverMs = 0;
    for (const service of SERVICES) {
      const victim = replicas.live(service)[0]!;
      expect(originals.get(service)).toContain(victim);
      if (service === 'connection') {
        // Known gap (services/connection README): Baileys acks an inbound message before the service has written
        // it, so a crash in that window loses it. New texts are held for a moment so the crash lands outside it;
        // texts sent after the kill wait at WhatsApp (the emulator) for the session's new holder.
        load.holdInbound(true);
        await sleep(2000);
      }
      const killedAt = Date.now();
      mark(`SIGKILL ${victim.name}`);
      await replicas.stop(victim, 'SIGKILL');
      sigkilled.push(victim.name);
      if (service === 'connection') {
        load.holdInbound(false);
        const survivor = replicas.live('connection')[0]!;
        await until(
          'every session held by the surviving connection replica, connected',
          async () => {
            const o = await owners();
            return o.every((r) => r.pid === survivor.pid && r.status === 'working');
          },
          LEASE_MS * 4 + 60_000,
        );
        takeoverMs = Date.now() - killedAt;
        mark('sessions taken over');
      }
      await sleep(2000);
    }
    const sigkillAt = Date.now();

    // Load on the survivors for a while, then stop it: every started send finishes (accepted or given up).
    await sleep(10_000);
    mark('faults done');
    await load.stop();
    const stoppedAt = Date.now();
    mark('load stopped');

    // Every injected text reaches the receiver at least once (asserted last, after the checks below, so that one
    // run shows every problem).
    const injected = load.inbound.flat();
    let inboundLoss = '';
    await until(
      'every injected text at the webhook receiver',
      () => injected.every((id) => receiver.seen.has(id)),
      180_000,
    ).catch(async (err: Error) => {
      const missing = injected.filter((id) => !receiver.seen.has(id));
      const sessionOf = (id: string) => load.inbound.findIndex((ids) => ids.includes(id));
      const stages = await inboundStages(db, missing.slice(0, 30));
      const lines = missing.map(
        (id) => `session ${sessionOf(id)} ${id} injected ${phaseOf(load.inboundAt.get(id)!)}: ${stages[id] ?? ''}`,
      );
      inboundLoss =
        `${err.message}: ${missing.length} of ${injected.length} missing\n${lines.join('\n')}\n` +
        `holders at the end: ${JSON.stringify(await owners())}`;
    });
    await sleep(2000); // repeats still on their way arrive now
    const settledAt = Date.now();
    const repeats = injected.reduce((n, id) => n + (receiver.seen.get(id)?.posts ?? 1) - 1, 0);

    // Every send was accepted, and each reached the contact's phone exactly once (counted at the emulator).
    const refused = load.sends.filter((s) => s.refused).map((s) => ({ text: s.text, answer: s.refused }));
    expect(refused).toEqual([]);
    const unfinished = load.sends.filter((s) => !s.accepted).map((s) => ({ text: s.text, tries: s.attempts.length }));
    expect(unfinished).toEqual([]);
    const deliveredTimes = new Map<string, number>();
    const sessionOfPhone = new Map(sessions.map((s, i) => [s.phone, i]));
    for (const s of sessions)
      for (const m of emulator.outbound(s.phone).filter((r) => r.to === CONTACT))
        deliveredTimes.set(
          `${sessionOfPhone.get(s.phone)}|${m.text}`,
          (deliveredTimes.get(`${sessionOfPhone.get(s.phone)}|${m.text}`) ?? 0) + 1,
        );
    const notOnce = load.sends
      .map((s) => ({ text: s.text, times: deliveredTimes.get(`${s.session}|${s.text}`) ?? 0 }))
      .filter((x) => x.times !== 1);
    // What the contact's phone could not read (the emulator keeps a record with type 'undecryptable').
    const undecryptable = sessions.map((x) => ({
      phone: x.phone,
      undecryptable: emulator.outbound(x.phone).filter((r) => r.type === 'undecryptable').length,
    }));
    // What it could read only on a resend (its retry receipt answered on a fresh Signal session): allowed, as on
    // WhatsApp, and printed, so a run shows how often a session had to heal.
    for (const x of sessions) {
      const healed = emulator.outbound(x.phone).filter((r) => r.type !== 'undecryptable' && r.decryptFailures);
      if (healed.length > 0)
        console.log(
          `${x.phone}: ${healed.length} read after a retry receipt, first at ${phaseOf(healed[0]!.timestamp * 1000)}`,
        );
    }
    for (const x of sessions) {
      const unread = emulator.outbound(x.phone).filter((r) => r.type === 'undecryptable');
      if (unread.length > 0)
        console.log(
          `${x.phone}: ${unread.length} undecryptable, first at ${phaseOf(unread[0]!.timestamp * 1000)}: ` +
            JSON.stringify(unread.slice(0, 3).map((r) => ({ id: r.id, to: r.to, at: r.timestamp, error: r.error }))),
        );
    }
    expect({ notOnce, undecryptable }).toEqual({
      notOnce: [],
      undecryptable: undecryptable.map((u) => ({ ...u, undecryptable: 0 })),
    });
    expect([...deliveredTimes.values()].reduce((a, b) => a + b, 0)).toBe(load.sends.length); // nothing else went out
    // The 201's id names the message WhatsApp got.
    for (const s of load.sends) {
      const phone = sessions[s.session]!.phone;
      const record = emulator.outbound(phone).find((r) => r.text === s.text)!;
      expect(s.accepted!.body.id).toBe(`true_${CONTACT}@c.us_${record.id}`);
    }

    // The API kept answering: successes, or the documented 503 with Retry-After / 504 on a send; no 500, no hang.
    const bad = pool.answers.filter((a) => !acceptable(a));
    expect(
      bad.map((a) => ({
        gateway: a.gateway,
        m: a.method,
        path: a.path,
        status: a.status,
        body: a.body,
        error: a.error,
      })),
    ).toEqual([]);

    // SIGTERM drains and exits 0; nothing else died; the replacements did work after the faults.
    expect(sigterms.filter((s) => s.code !== 0)).toEqual([]);
    const died = replicas.all.filter((r) => !r.signalled && !r.running()).map((r) => r.name);
    expect(died).toEqual([]);
    const survivors = SERVICES.map((s) => replicas.live(s)[0]!);
    await until(
      'every surviving replica to have handled work',
      () => survivors.every((r) => (spans.byPid(r.service).get(r.pid) ?? 0) > 0),
      30_000,
    );
    const fatal = replicas.all.flatMap((r) =>
      r.lines
        .filter((l) => l.includes('"level":"fatal"') || l.includes('uncaughtException'))
        .map((l) => `${r.name}: ${l}`),
    );
    expect(fatal).toEqual([]);

    // libsignal's own console lines: a session that could not decrypt what the contact sent. Each such message
    // became message.waiting and was asked for again (Baileys' retry receipt, the emulator's contact resends):
    // reported, not fatal, because the inbound check above holds every injected text to a `message` webhook.
    const signalBadMac = Object.fromEntries(
      replicas.all
        .filter((r) => r.service === 'connection')
        .map((r) => [r.name, r.lines.filter((l) => l.includes('Bad MAC')).length]),
    );

    const statusCounts: Record<string, number> = {};
    for (const a of pool.answers) statusCounts[a.status] = (statusCounts[a.status] ?? 0) + 1;
    console.log(
      JSON.stringify(
        {
          workSplitBeforeFaults: split,
          apiAnswersPerGateway: Object.fromEntries(perGateway),
          apiStatuses: statusCounts,
          reroutedByBalancer: pool.answers.filter((a) => a.rerouted > 0).length,
          sigterms,
          sigkilled,
          connectionTakeoverMs: takeoverMs,
          inbound: {
            injected: injected.length,
            missing: injected.filter((id) => !receiver.seen.has(id)).length,
            repeats,
          },
          signalBadMac,
          // healed by a retry: sends the contact asked for again, contact messages a session asked for again
          retries: {
            contactRetryReceipts: emulator.statsSnapshot().retryReceiptsSent,
            contactResends: emulator.statsSnapshot().inboundResends,
          },
          sends: {
            accepted: load.sends.length,
            retried: load.sends.filter((s) => s.attempts.length > 1).length,
            maxTries: Math.max(...load.sends.map((s) => s.attempts.length)),
          },
          phasesMs: {
            startAndLink: linkedAt - t0,
            steady: steadyAt - linkedAt,
            sigterm: sigtermAt - steadyAt,
            sigkill: sigkillAt - sigtermAt,
            drain: stoppedAt - sigkillAt,
            settle: settledAt - stoppedAt,
          },
          errorLogLines: replicas.errorLines().length,
        },
        null,
        1,
      ),
    );
    expect(inboundLoss).toBe('');
    passed = true;
  }, 900_000);
});
