/** Composition root: config → telemetry → service; SIGTERM/SIGINT drain and exit. */
import { loadConfig } from '@wahooks/config';
import { serveServiceMetrics } from '@wahooks/metrics';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { BillingConfigSchema } from './config.js';
import { startBillingService } from './service.js';

const config = loadConfig(BillingConfigSchema);
startTelemetry({ service: 'billing' });
const logger = createLogger('billing', config.LOG_LEVEL);

const metrics = await serveServiceMetrics(config.METRICS_PORT, logger); // /metrics, internal port
const service = await startBillingService(config, { logger }).catch((err: unknown) => {
  logger.fatal({ err }, 'billing service failed to start');
  process.exit(1);
});

stopOnSignals(metrics.stopAfter(service), logger);
