/** Composition root: config → telemetry → service; SIGTERM/SIGINT drain and exit. */
import { loadConfig } from '@wahooks/config';
import { createLogger, shutdownTelemetry, startTelemetry } from '@wahooks/telemetry';
import { TokenConfigSchema } from './config.js';
import { startTokenService } from './service.js';

const config = loadConfig(TokenConfigSchema);
startTelemetry({ service: 'token' });
const logger = createLogger('token', config.LOG_LEVEL);

const service = await startTokenService(config, { logger }).catch((err: unknown) => {
  logger.fatal({ err }, 'token service failed to start');
  process.exit(1);
});

let signalled = false;
const drain = (signal: NodeJS.Signals) => {
  if (signalled) return;
  signalled = true;
  logger.info({ signal }, 'draining');
  service
    .stop()
    .then(shutdownTelemetry)
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
};
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
