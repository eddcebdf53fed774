/** Composition root: config → telemetry → service; SIGTERM/SIGINT drain and exit. */
import { loadConfig } from '@wahooks/config';
import { serveServiceMetrics } from '@wahooks/metrics';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { MessagingConfigSchema } from './config.js';
import { startMessagingService } from './service.js';

const config = loadConfig(MessagingConfigSchema);
startTelemetry({ service: 'messaging' });
const logger = createLogger('messaging', config.LOG_LEVEL);

const metrics = await serveServiceMetrics(config.METRICS_PORT, logger); // /metrics, internal port
const service = await startMessagingService(config, { logger }).catch((err: unknown) => {
  logger.fatal({ err }, 'messaging service failed to start');
  process.exit(1);
});

stopOnSignals(metrics.stopAfter(service), logger);
