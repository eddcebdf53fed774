/** Composition root: config, tracing, one connection replica, graceful shutdown. */
import { loadConfig } from '@wahooks/config';
import { createLogger, shutdownTelemetry, startTelemetry } from '@wahooks/telemetry';
import { ConnectionEnv } from './config.js';

const config = loadConfig(ConnectionEnv);
const logger = createLogger('connection', config.LOG_LEVEL);
startTelemetry({ service: 'connection' });
const { startConnectionService } = await import('./service.js');
const service = await startConnectionService(config, { logger });

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    logger.info({ signal }, 'releasing sessions');
    service
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
