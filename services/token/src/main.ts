/** Composition root: config → telemetry → service; SIGTERM/SIGINT drain and exit. */
import { loadConfig } from '@wahooks/config';
import { serveServiceMetrics } from '@wahooks/metrics';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { TokenConfigSchema } from './config.js';
import { startTokenService } from './service.js';

const config = loadConfig(TokenConfigSchema);
startTelemetry({ service: 'token' });
const logger = createLogger('token', config.LOG_LEVEL);

const metrics = await serveServiceMetrics(config.METRICS_PORT, logger); // /metrics, internal port
const service = await startTokenService(config, { logger }).catch((err: unknown) => {
  logger.fatal({ err }, 'token service failed to start');
  process.exit(1);
});

stopOnSignals(metrics.stopAfter(service), logger);
