/**
 * Test clean-up deletes every queue and exchange of its namespace, with whatever can list the broker's names, and
 * never succeeds silently when it cannot: it rejects on a failing lister, and warns when it had to fall back
 * to the names this process used.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { connectBroker, on } from '@wahooks/broker';
import { ConnectionCreated, Queues } from '@wahooks/contracts';
import { createTestEnv, deleteNamespace, listBrokerNames, queueExists, sweepNamespaces } from '../src/index.js';

const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const saved = { PATH: process.env.PATH, RABBITMQ_MANAGEMENT_URL: process.env.RABBITMQ_MANAGEMENT_URL };
const restore = (k: keyof typeof saved) =>
  saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]);
afterEach(() => {
  restore('PATH');
  restore('RABBITMQ_MANAGEMENT_URL');
});

/** A quorum queue, a classic one and an exchange under `namespace`, declared over a connection of its own. */
async function declareSome(namespace: string): Promise<string[]> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue(`${namespace}q.quorum`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.assertQueue(`${namespace}q.classic`, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await ch.assertExchange(`${namespace}x.topic`, 'topic', { durable: true });
    return [`${namespace}q.quorum`, `${namespace}q.classic`, `${namespace}x.topic`];
  } finally {
    await conn.close();
  }
}
const leftIn = async (namespace: string) => {
  const names = await listBrokerNames(url);
  if (!names) throw new Error('this test needs the management API or rabbitmqctl');
  return [...names.queues, ...names.exchanges].filter((n) => n.startsWith(namespace));
};

/** A management URL on a port nothing listens on (a port just freed). */
async function closedPortUrl(): Promise<string> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A directory whose only `rabbitmqctl` fails, to put first on PATH. */
function failingRabbitmqctl(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-rabbitmqctl-'));
  writeFileSync(
    path.join(dir, 'rabbitmqctl'),
    '#!/bin/sh\necho "unable to perform an operation on node" >&2\nexit 69\n',
  );
  chmodSync(path.join(dir, 'rabbitmqctl'), 0o755);
  return dir;
}

describe('test environment clean-up', () => {
  it('deletes every queue (quorum and classic) and exchange of the namespace', async () => {
    const env = await createTestEnv('cleanup', { database: false });
    const declared = await declareSome(env.namespace);
    expect(await leftIn(env.namespace)).toEqual(expect.arrayContaining(declared));
    await env.cleanup();
    expect(await leftIn(env.namespace)).toEqual([]);
  });

  it('rejects, naming the cause, when the lister fails (it used to keep the names silently)', async () => {
    const { namespace } = await createTestEnv('cleanup_fail', { database: false });
    await declareSome(namespace);
    const dir = failingRabbitmqctl();
    try {
      process.env.RABBITMQ_MANAGEMENT_URL = await closedPortUrl();
      process.env.PATH = `${dir}:${process.env.PATH}`;
      await expect(deleteNamespace(url, namespace)).rejects.toThrow(/rabbitmqctl could not list/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      restore('PATH');
      restore('RABBITMQ_MANAGEMENT_URL');
      await deleteNamespace(url, namespace);
    }
    expect(await leftIn(namespace)).toEqual([]);
  });

  it('with no lister at all, deletes the names this process used and warns about the rest', async () => {
    const env = await createTestEnv('cleanup_tracked', { database: false });
    const { namespace } = env;
    const broker = await connectBroker({ url, service: 'billing', namespace });
    await broker.subscribe('probe', [on(ConnectionCreated, async () => undefined)]);
    await broker.close();
    const eventQueue = `${namespace}${Queues.events('billing', 'probe')}`;
    expect(await queueExists(url, eventQueue)).toBe(true);

    process.env.RABBITMQ_MANAGEMENT_URL = await closedPortUrl();
    process.env.PATH = ''; // no rabbitmqctl
    const report = await deleteNamespace(url, namespace).finally(() => {
      restore('PATH');
      restore('RABBITMQ_MANAGEMENT_URL');
    });
    await env.cleanup(); // with the listers back: nothing may be left either way
    expect(report.listedWith).toBe('tracked');
    expect(report.warning).toMatch(/only child processes declared may be left/);
    expect(report.queues).toContain(eventQueue);
    expect(await queueExists(url, eventQueue)).toBe(false);
    expect(await queueExists(url, `${namespace}${Queues.deadLetters('billing')}`)).toBe(false);
    expect(await leftIn(namespace)).toEqual([]);
  });

  it("the global teardown's sweep deletes what test files left under their namespaces", async () => {
    const a = (await createTestEnv('sweep_a', { database: false })).namespace;
    const b = (await createTestEnv('sweep_b', { database: false })).namespace;
    await declareSome(a);
    await declareSome(b);
    const swept = await sweepNamespaces(url, [a, b]);
    expect(swept).toHaveLength(6);
    expect([...(await leftIn(a)), ...(await leftIn(b))]).toEqual([]);
  });
});
