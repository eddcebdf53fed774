/**
 * What every event stream test runs on: its own environment, the token service, one or more gateways (one per
 * entry of `gateways`, that entry being its extra environment), and a broker publishing as the connection service.
 */
import { connectBroker, type Broker } from '@wahooks/broker';
import { createLogger } from '@wahooks/telemetry';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { startTestGateway, startTokenService, type TokenServiceProcess } from './support.js';

export interface StreamStack {
  env: TestEnv;
  tokenService: TokenServiceProcess;
  gateways: Gateway[];
  publisher: Broker;
  /** Stops whatever was started, in reverse order, and removes the environment. */
  stop(): Promise<void>;
}

export async function startStreamStack(label: string, gateways: Record<string, string>[]): Promise<StreamStack> {
  const env = await createTestEnv(label);
  let tokenService: TokenServiceProcess | undefined;
  const started: Gateway[] = [];
  let publisher: Broker | undefined;
  const stop = async () => {
    await publisher?.close();
    await Promise.all(started.map((gw) => gw.stop(100)));
    await tokenService?.stop();
    await env.cleanup();
  };
  try {
    tokenService = await startTokenService(env);
    for (const extra of gateways) started.push(await startTestGateway(env, extra));
    publisher = await connectBroker({
      url: env.rabbitmqUrl,
      service: 'connection',
      namespace: env.namespace,
      logger: createLogger('test', 'silent'),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, tokenService, gateways: started, publisher, stop };
}
