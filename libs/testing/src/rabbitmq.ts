/**
 * Deletes every queue and exchange whose name starts with a test namespace. The management plugin is not
 * enabled on this machine, so names are listed with rabbitmqctl (root on this machine and in CI) and deleted
 * over AMQP.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);

async function list(kind: 'queues' | 'exchanges'): Promise<string[]> {
  try {
    const { stdout } = await run('rabbitmqctl', ['-q', `list_${kind}`, 'name', '--no-table-headers'], {
      timeout: 30_000,
    });
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return []; // no rabbitmqctl (e.g. a containerised broker): leave the names; they are namespaced and harmless
  }
}

export async function deleteNamespace(url: string, namespace: string): Promise<void> {
  if (!namespace) throw new Error('refusing to delete an empty namespace');
  const [queues, exchanges] = await Promise.all([list('queues'), list('exchanges')]);
  const conn = await amqp.connect(url);
  try {
    for (const q of queues.filter((n) => n.startsWith(namespace))) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const x of exchanges.filter((n) => n.startsWith(namespace))) {
      const ch = await conn.createChannel();
      await ch.deleteExchange(x).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close();
  }
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
