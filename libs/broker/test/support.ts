/** Test helpers: contracts for the tests, killing a connection from the broker side, reading a queue. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp, { type GetMessage } from 'amqplib';
import { z } from 'zod';
import { defineCommand, defineEvent } from '@wahooks/contracts';

const run = promisify(execFile);

export const Echo = defineCommand({
  name: 'token.test.echo',
  version: 1,
  request: z.object({ text: z.string().min(1), fail: z.enum(['app', 'crash', 'retry-after']).optional() }),
  reply: z.object({ echoed: z.string(), at: z.number() }),
  summary: 'test: echoes text',
});

export const ItemCreated = defineEvent({
  type: 'token.item.created',
  version: 1,
  payload: z.object({ itemId: z.string(), n: z.number().int() }),
  summary: 'test: an item was created',
});

export const ItemPoisoned = defineEvent({
  type: 'token.item.poisoned',
  version: 1,
  payload: z.object({ itemId: z.string() }),
  summary: 'test: a handler always throws on this',
});

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The broker-side pids of the connections whose client-provided name is `connectionName`. */
export async function findConnections(connectionName: string): Promise<string[]> {
  // Table output: the pid column is in the form close_connection accepts (<rabbit@host.N.N.N>).
  const { stdout } = await run(
    'rabbitmqctl',
    ['-q', 'list_connections', 'pid', 'client_properties', '--no-table-headers'],
    {
      timeout: 30_000,
    },
  );
  const needle = `{"connection_name","${connectionName}"}`;
  return stdout
    .split('\n')
    .filter((line) => line.includes(needle))
    .map((line) => line.split('\t')[0]!.trim());
}

export async function closeConnections(pids: string[]): Promise<void> {
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'test'], { timeout: 30_000 });
}

/** Close, from the RabbitMQ side, every connection whose client-provided name is `connectionName`. */
export async function killConnection(connectionName: string): Promise<number> {
  const pids = await findConnections(connectionName);
  await closeConnections(pids);
  return pids.length;
}

/** Take (and ack) every message now in `queue`, over a separate connection. */
export async function drainQueue(url: string, queue: string): Promise<GetMessage[]> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    const out: GetMessage[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (!m) break;
      out.push(m);
    }
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}

/** Poll `queue` until it has at least `n` messages; returns them (taken). */
export async function collect(url: string, queue: string, n: number, timeoutMs = 10_000): Promise<GetMessage[]> {
  const got: GetMessage[] = [];
  await waitFor(
    async () => {
      got.push(...(await drainQueue(url, queue)));
      return got.length >= n;
    },
    timeoutMs,
    200,
  );
  return got;
}

export const header = (m: GetMessage, key: string): string | undefined => {
  const v = m.properties.headers?.[key];
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
};
