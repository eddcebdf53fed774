/** Composition root: config, tracing, one connection replica, graceful shutdown. */
import { loadConfig, publicApiUrlWarnings } from '@wahooks/config';
import { serveServiceMetrics } from '@wahooks/metrics';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { ConnectionEnv } from './config.js';

const config = loadConfig(ConnectionEnv);
const logger = createLogger('connection', config.LOG_LEVEL);
for (const warning of publicApiUrlWarnings(process.env)) logger.warn(warning);
startTelemetry({ service: 'connection' });
const metrics = await serveServiceMetrics(config.METRICS_PORT, logger); // /metrics, internal port
const { startConnectionService } = await import('./service.js');
const service = await startConnectionService(config, { logger });

stopOnSignals(metrics.stopAfter(service), logger);
