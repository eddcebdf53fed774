/** connectBroker(): composes the connection, the main and RPC channels, consumers and close(). */
import { hostname } from 'node:os';
import { createLogger } from '@wahooks/telemetry';
import { BrokerConnection } from './connection.js';
import { Consumers } from './consumer.js';
import type { BrokerCore } from './core.js';
import { publishEvent } from './events.js';
import { InFlight } from './inflight.js';
import { Publisher } from './publisher.js';
import { consumeRaw, publishRaw } from './raw.js';
import { retireQueue } from './retire.js';
import { RpcClient } from './rpc-client.js';
import { RpcServer } from './rpc-server.js';
import { serveRouted } from './routed-server.js';
import { subscribe } from './subscribe.js';
import { declareExchanges, namespacedNamer } from './topology.js';
import type { Broker, BrokerOptions } from './types.js';

/** `${service}@${instanceId}` (+ ` ns=<namespace>`): the connection name shown by `rabbitmqctl list_connections`. */
export const connectionName = (service: string, instanceId: string, namespace = ''): string =>
  `${service}@${instanceId}${namespace ? ` ns=${namespace}` : ''}`;

export async function connectBroker(options: BrokerOptions): Promise<Broker> {
  const namespace = options.namespace ?? '';
  const instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
  const logger = options.logger ?? createLogger(`broker:${options.service}`, process.env.LOG_LEVEL ?? 'warn');
  const connection = new BrokerConnection({
    url: options.url,
    connectionName: connectionName(options.service, instanceId, namespace),
    logger,
    initialRetries: options.connectRetries,
  });
  const inflight = new InFlight();
  const name = namespacedNamer(namespace); // records the names for test clean-up (topology.ts)
  const core: BrokerCore = {
    service: options.service,
    instanceId,
    name,
    logger,
    connection,
    inflight,
    consumers: new Consumers(connection, inflight, logger),
    publisher: new Publisher(connection, 'main'),
    prefetch: options.prefetch ?? 32,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 5000,
    publishWaitMs: options.publishWaitMs ?? 5000,
    startedAt: Date.now(),
    health: options.health,
  };
  const rpcClient = new RpcClient(core);
  const rpcServer = new RpcServer(core);

  try {
    await connection.start();
  } catch (err) {
    throw new Error(`cannot connect to RabbitMQ at ${redactUrl(options.url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    await core.publisher.start([(ch) => declareExchanges(ch, name)]);
    await rpcClient.start();
  } catch (err) {
    await connection.close();
    throw err;
  }

  let closed = false;
  return {
    service: options.service,
    instanceId,
    name,
    request: (command, request, opts) => rpcClient.request(command, request, opts),
    serve: (bindings) => rpcServer.serve(bindings),
    serveRouted: (bindings, opts) => serveRouted(core, bindings, opts?.exchange),
    publish: (event, payload, opts) => publishEvent(core, event, payload, opts),
    subscribe: (purpose, bindings, opts) => subscribe(core, purpose, bindings, opts),
    addSetup: (setup) => core.publisher.addSetup(setup),
    publishRaw: (exchange, routingKey, body, opts) => publishRaw(core, exchange, routingKey, body, opts),
    consumeRaw: (queue, onMessage, opts) => consumeRaw(core, queue, onMessage, opts),
    retireQueue: (queue, opts) => retireQueue(core, queue, opts?.moveTo),
    isConnected: () => !closed && connection.isConnected(),
    async close() {
      if (closed) return;
      closed = true;
      await core.consumers.cancelAll();
      const drained = await inflight.drain(options.closeTimeoutMs ?? 10_000);
      if (!drained)
        logger.warn(
          { inFlight: inflight.size },
          'closing with handlers still running; their messages will be redelivered',
        );
      // Acks of the last handlers are batched to the end of the turn (ack-batch.ts): let them go out first.
      await new Promise((resolve) => setImmediate(resolve));
      rpcClient.failAll(`${options.service}: broker is closing`);
      await connection.close();
    },
  };
}

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
