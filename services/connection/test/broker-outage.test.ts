/** The service's own path: messages that arrive while RabbitMQ is unreachable wait in the outbox and all arrive after. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { parseConfig } from '@wahooks/config';
import { CreateConnection, WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';
import { createTestEnv, startTcpProxy, type TcpProxy, type TestEnv } from '@wahooks/testing';
import { startEmulator, type Emulator } from '@wahooks/wa-emulator';
import { askOwner } from '../src/commands/session-client.js';
import { ConnectionEnv } from '../src/config.js';
import { startConnectionService, type ConnectionService } from '../src/service.js';
import { logger, waitFor } from './support/emulated.js';

let env: TestEnv;
let emulator: Emulator;
let proxy: TcpProxy;
let service: ConnectionService;
let client: Broker;
let consumer: Broker;
let db: pg.Pool;
const published: WhatsAppEventPayload[] = [];

beforeAll(async () => {
  env = await createTestEnv('conn_outage');
  emulator = await startEmulator();
  proxy = await startTcpProxy(env.rabbitmqUrl);
  const config = parseConfig(ConnectionEnv, {
    ...env.serviceEnv,
    RABBITMQ_URL: proxy.url(env.rabbitmqUrl), // only the service's broker connection goes through the proxy
    WA_WEBSOCKET_URL: emulator.url,
    WA_SERVER_ROOT_KEY: emulator.rootPublicKey,
    WA_LOG_LEVEL: 'silent',
    SESSION_LEASE_MS: '10000',
  });
  service = await startConnectionService(config, { logger });
  db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  client = await connectBroker({ url: env.rabbitmqUrl, service: 'gateway', namespace: env.namespace, logger });
  consumer = await connectBroker({
    url: env.rabbitmqUrl,
    service: 'webhook-delivery',
    namespace: env.namespace,
    logger,
  });
  await consumer.subscribe('outage-test', [on(WhatsAppEvent, async (p) => void published.push(p))]);
}, 60_000);

afterAll(async () => {
  proxy?.restore();
  await client?.close();
  await consumer?.close();
  await service?.stop();
  await proxy?.close();
  await db?.end();
  await emulator?.close();
  await env?.cleanup();
});

describe('broker outage', () => {
  it('publishes every event taken while RabbitMQ was down once it is back, in order', async () => {
    const { id } = await client.request(CreateConnection, { userId: randomUUID() });
    const qr = await waitFor(
      async () => ((await askOwner(client, id, 'qr')) as { raw?: string } | undefined)?.raw,
      'QR',
      30_000,
      200,
    );
    const { phone } = await emulator.scan(qr);
    await waitFor(
      () =>
        published.some(
          (p) =>
            p.connectionId === id &&
            p.event === 'session.status' &&
            (p.payload as { status: string }).status === 'WORKING',
        ),
      'WORKING published',
      30_000,
    );

    proxy.cut();
    const ids: string[] = [];
    for (let n = 0; n < 10; n++)
      ids.push((await emulator.inbound({ to: phone, from: '15557654321', type: 'text', text: `down ${n}` })).id);
    // Taken from Baileys and stored while the broker is unreachable …
    await waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT 1 FROM connection.outbox WHERE connection_id = $1 AND sent_at IS NULL AND body LIKE '%"event":"message"%'`,
          [id],
        );
        return rows.length === 10;
      },
      '10 unsent message events',
      20_000,
      100,
    );
    expect(published.filter((p) => p.connectionId === id && p.event === 'message')).toHaveLength(0);

    // … and all published after it returns.
    proxy.restore();
    await waitFor(
      () => published.filter((p) => p.connectionId === id && p.event === 'message').length >= 10,
      'all 10 published',
      60_000,
      100,
    );
    const bodies = published
      .filter((p) => p.connectionId === id && p.event === 'message')
      .map((p) => (p.payload as { body: string }).body);
    expect([...new Set(bodies)]).toEqual(ids.map((_, n) => `down ${n}`));
  }, 120_000);
});
