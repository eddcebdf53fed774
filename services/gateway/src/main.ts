/** Composition root: config from the environment, tracing, the gateway, graceful shutdown. */
import { loadConfig } from '@wahooks/config';
import { createLogger, shutdownTelemetry, startTelemetry } from '@wahooks/telemetry';
import { GatewayEnv } from './config.js';

const config = loadConfig(GatewayEnv);
const logger = createLogger('gateway', config.LOG_LEVEL);
startTelemetry({ service: 'gateway' });
// Imported after the SDK started so http/express are instrumented (unless --import @wahooks/telemetry/register did it).
const { startGateway } = await import('./service.js');
const gateway = await startGateway(config, { logger });

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    logger.info({ signal }, 'draining');
    gateway
      .stop()
      .then(shutdownTelemetry)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
