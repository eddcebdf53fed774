/**
 * Deletes every queue and exchange whose name starts with a test namespace, and says so when it cannot.
 * The names are listed, in this order, with:
 *   1. the management HTTP API (`RABBITMQ_MANAGEMENT_URL`, default `http://<user>:<pass>@<amqp host>:15672`),
 *   2. `rabbitmqctl` (needs the broker's Erlang cookie: root on a machine running the broker),
 *   3. neither: the names this process's brokers used (libs/broker records namespaced names in a process-wide
 *      registry); names only a child process declared cannot be found, and the report says so.
 * Deletion is over AMQP (any user that may configure the vhost), then each name is checked passively: a name
 * still there (or a refused delete) is an error, never silently kept.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);

export interface NamespaceCleanup {
  namespace: string;
  /** How the names were found; 'tracked' = only the names this process used (see the module comment). */
  listedWith: 'management' | 'rabbitmqctl' | 'tracked';
  queues: string[];
  exchanges: string[];
  /** Set when some names may be left behind (nothing could list the broker's names). */
  warning?: string;
}

interface Listing {
  queues: string[];
  exchanges: string[];
}

/** The registry libs/broker fills (src/topology.ts `namespacedNamer`): namespace -> names used. */
const TRACKED = Symbol.for('wahooks.broker.namespacedNames');
const trackedNames = (namespace: string): string[] => {
  const registry = (globalThis as Record<symbol, Map<string, Set<string>> | undefined>)[TRACKED];
  return [...(registry?.get(namespace) ?? [])];
};

function managementBase(amqpUrl: string): { base: string; auth: string; vhost: string } {
  const u = new URL(amqpUrl);
  const m = new URL(process.env.RABBITMQ_MANAGEMENT_URL ?? `http://${u.hostname}:15672`);
  const user = decodeURIComponent(m.username || u.username || 'guest');
  const pass = decodeURIComponent(m.password || u.password || 'guest');
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  return {
    base: `${m.protocol}//${m.host}`,
    auth: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    vhost,
  };
}

/** null when no management API answers on that port (connection refused); throws on any other failure. */
async function listWithManagement(amqpUrl: string): Promise<Listing | null> {
  const { base, auth, vhost } = managementBase(amqpUrl);
  const get = async (kind: 'queues' | 'exchanges'): Promise<string[]> => {
    const res = await fetch(`${base}/api/${kind}/${encodeURIComponent(vhost)}?columns=name`, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`management API ${res.status} on /api/${kind}`);
    return ((await res.json()) as { name: string }[]).map((q) => q.name);
  };
  try {
    return { queues: await get('queues'), exchanges: await get('exchanges') };
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL') return null;
    throw err;
  }
}

/** null when rabbitmqctl is not installed; throws when it fails (e.g. no cookie, or it times out). */
async function listWithRabbitmqctl(amqpUrl: string): Promise<Listing | null> {
  const { vhost } = managementBase(amqpUrl);
  const list = async (kind: 'queues' | 'exchanges'): Promise<string[]> => {
    const { stdout } = await run('rabbitmqctl', ['-q', `list_${kind}`, '-p', vhost, 'name', '--no-table-headers'], {
      timeout: 120_000, // a busy 2-core machine with hundreds of quorum queues takes tens of seconds
      env: process.env, // this process's PATH as it is now (Jest gives each test file its own copy)
    });
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  };
  try {
    const [queues, exchanges] = await Promise.all([list('queues'), list('exchanges')]);
    return { queues, exchanges };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw new Error(`rabbitmqctl could not list the broker's names: ${(err as Error).message}`, { cause: err });
  }
}

/** The broker's queue and exchange names, and how they were listed; null when nothing can list them. */
export async function listBrokerNames(
  amqpUrl: string,
): Promise<(Listing & { via: 'management' | 'rabbitmqctl' }) | null> {
  const viaManagement = await listWithManagement(amqpUrl);
  if (viaManagement) return { ...viaManagement, via: 'management' };
  const viaCtl = await listWithRabbitmqctl(amqpUrl);
  return viaCtl && { ...viaCtl, via: 'rabbitmqctl' };
}

/**
 * Deletes each name, then checks passively that it is gone (a consumer still running may have re-declared it).
 * Returns the failures, one line each.
 */
async function deleteOverAmqp(url: string, queues: string[], exchanges: string[]): Promise<string[]> {
  const failures: string[] = [];
  const conn = await amqp.connect(url);
  const gone = async (what: string, check: (ch: amqp.Channel) => Promise<unknown>) => {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      await check(ch);
      failures.push(`${what} still exists after its delete`);
      await ch.close();
    } catch (err) {
      if ((err as { code?: number }).code !== 404) failures.push(`${what}: ${(err as Error).message}`);
    }
  };
  try {
    // One channel per delete: a refused delete closes its channel (e.g. 403), the others go on.
    const each = async (what: string, op: (ch: amqp.Channel) => Promise<unknown>) => {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      try {
        await op(ch);
        await ch.close();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    for (const q of queues) await each(`queue ${q}`, (ch) => ch.deleteQueue(q));
    for (const x of exchanges) await each(`exchange ${x}`, (ch) => ch.deleteExchange(x));
    for (const q of queues) await gone(`queue ${q}`, (ch) => ch.checkQueue(q));
    for (const x of exchanges) await gone(`exchange ${x}`, (ch) => ch.checkExchange(x));
  } finally {
    await conn.close().catch(() => undefined);
  }
  return failures;
}

/**
 * Deletes the namespace's queues and exchanges. Rejects when a delete fails or a name is still there afterwards;
 * resolves with a `warning` when the names could only be taken from this process's registry.
 */
export async function deleteNamespace(url: string, namespace: string): Promise<NamespaceCleanup> {
  if (!namespace) throw new Error('refusing to delete an empty namespace');
  const mine = (names: string[]) => names.filter((n) => n.startsWith(namespace));
  const listing = await listBrokerNames(url);
  if (!listing) {
    // Unknown which names are queues and which exchanges: both deletes are no-ops for a missing name.
    const names = trackedNames(namespace);
    const failures = await deleteOverAmqp(url, names, names);
    if (failures.length) throw new Error(`cannot delete namespace ${namespace}: ${failures.join('; ')}`);
    return {
      namespace,
      listedWith: 'tracked',
      queues: names,
      exchanges: names,
      warning:
        `no management API (set RABBITMQ_MANAGEMENT_URL) and no rabbitmqctl: deleted the ${names.length} names ` +
        `this process used under ${namespace}; names only child processes declared may be left`,
    };
  }
  const queues = mine(listing.queues);
  const exchanges = mine(listing.exchanges);
  const failures = await deleteOverAmqp(url, queues, exchanges);
  if (failures.length) throw new Error(`namespace ${namespace} not fully deleted: ${failures.join('; ')}`);
  return { namespace, listedWith: listing.via, queues, exchanges };
}

/**
 * The global teardown's sweep: deletes every queue and exchange under any of `namespaces` still on the broker
 * (a test file that crashed, timed out or forgot `cleanup()`). Returns what it deleted; null when nothing can
 * list the broker's names.
 */
export async function sweepNamespaces(url: string, namespaces: string[]): Promise<string[] | null> {
  const prefixes = namespaces.filter(Boolean);
  if (prefixes.length === 0) return [];
  const listing = await listBrokerNames(url);
  if (!listing) return null;
  const ours = (names: string[]) => names.filter((n) => prefixes.some((p) => n.startsWith(p)));
  const queues = ours(listing.queues);
  const exchanges = ours(listing.exchanges);
  const failures = await deleteOverAmqp(url, queues, exchanges);
  if (failures.length) throw new Error(`sweep of test namespaces failed: ${failures.join('; ')}`);
  return [...queues, ...exchanges];
}

/** Messages ready in `queue` (its full, namespaced name), over a connection of its own: for assertions. */
export async function queueMessageCount(url: string, queue: string): Promise<number> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

/** Whether `queue` (full name) exists: a passive check on a connection of its own. */
export async function queueExists(url: string, queue: string): Promise<boolean> {
  return tryAssertQueue(url, queue, null);
}

/**
 * Declares `queue` (full name) with these arguments, durable; false when the broker refuses (406: it exists with
 * other arguments or another type, which is how a test checks a queue's type over AMQP). `null` = passive check.
 */
export async function tryAssertQueue(
  url: string,
  queue: string,
  args: Record<string, unknown> | null,
): Promise<boolean> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await (args ? ch.assertQueue(queue, { durable: true, arguments: args }) : ch.checkQueue(queue));
    return true;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 404 || code === 406) return false;
    throw err;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
