/**
 * The event stream across a broker outage: RabbitMQ closes the gateway's stream connection; the open sockets stay
 * open, and once the connection is back the stream reader resumes at the offset after the last event it handled,
 * so every event published meanwhile reaches them, once and in order.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectBroker, connectionName, type Broker } from '@wahooks/broker';
import { createLogger } from '@wahooks/telemetry';
import { admittedStream, publishWhatsAppEvent } from '../../services/gateway/test/stream-support.js';
import { JWT_SECRET, killConnection, signHs256, startStack, waitFor, type Stack } from './support.js';

let stack: Stack;
let publisher: Broker;

beforeAll(async () => {
  stack = await startStack('e2e_stream_resilience');
  publisher = await connectBroker({
    url: stack.env.rabbitmqUrl,
    service: 'connection',
    namespace: stack.env.namespace,
    logger: createLogger('test', 'silent'),
  });
}, 60_000);

afterAll(async () => {
  await publisher?.close();
  await stack?.close();
});

describe('a lost stream connection', () => {
  it('is re-opened and the reader resumes where it was: nothing lost, nothing twice, sockets stay open', async () => {
    const gw = stack.gateways[0]!;
    const userId = randomUUID();
    const client = await admittedStream(gw, { token: await signHs256({ sub: userId }, JWT_SECRET) });
    const connectionId = randomUUID();
    const publish = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await publishWhatsAppEvent(publisher, { userId, connectionId })).id);
      return ids;
    };
    const before = await publish(5);
    await client.received(5);

    const name = `${connectionName('gateway', gw.broker.instanceId, stack.env.namespace)} stream`;
    expect(await killConnection(name)).toBeGreaterThan(0);
    await waitFor(() => !gw.stream.stats().connected, 10_000);
    const during = await publish(10); // the stream keeps them; the gateway is not reading
    await waitFor(() => gw.stream.stats().connected, 20_000);
    const after = await publish(5);

    await client.received(20, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.messages.map((m) => m.id)).toEqual([...before, ...during, ...after]);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    await client.close();
  }, 60_000);
});
