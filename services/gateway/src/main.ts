/** Composition root: config from the environment, tracing, the gateway, graceful shutdown. */
import { loadConfig } from '@wahooks/config';
import { serveServiceMetrics } from '@wahooks/metrics';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { GatewayEnv } from './config.js';
import { PortUnavailableError } from './http/listen.js';
import { startGateway } from './service.js';

const config = loadConfig(GatewayEnv);
const logger = createLogger('gateway', config.LOG_LEVEL);
// No auto-instrumentation: the gateway opens the server span of each route itself (http/request-span.ts, which
// also honours an incoming traceparent); the http/express instrumentations would only add a span per middleware
// layer, measurably costly on the hot path. (A `--import @wahooks/telemetry/register` preload overrides this.)
startTelemetry({ service: 'gateway', instrumentations: [] });
const metrics = await serveServiceMetrics(config.METRICS_PORT, logger); // /metrics, internal port
const gateway = await startGateway(config, { logger }).catch((err: unknown) => {
  // A taken or privileged PORT is an operator's mistake: one line naming PORT, not a stack trace.
  if (err instanceof PortUnavailableError) process.stderr.write(`gateway: ${err.message}\n`);
  else logger.fatal({ err }, 'gateway failed to start');
  process.exit(1);
});

stopOnSignals(metrics.stopAfter(gateway), logger);
