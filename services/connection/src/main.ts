/** Composition root: config, tracing, one connection replica, graceful shutdown. */
import { loadConfig } from '@wahooks/config';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { ConnectionEnv } from './config.js';

const config = loadConfig(ConnectionEnv);
const logger = createLogger('connection', config.LOG_LEVEL);
startTelemetry({ service: 'connection' });
const { startConnectionService } = await import('./service.js');
const service = await startConnectionService(config, { logger });

stopOnSignals(service, logger);
