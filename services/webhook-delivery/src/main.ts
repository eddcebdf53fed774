/** Composition root: environment -> config -> service; SIGTERM/SIGINT stop it gracefully. */
import { serveServiceMetrics } from '@wahooks/metrics';
import { createLogger, startTelemetry, stopOnSignals } from '@wahooks/telemetry';
import { configFromEnv, configWarnings } from './config.js';
import { startWebhookDelivery } from './service.js';

async function main(): Promise<void> {
  const logger = createLogger('webhook-delivery');
  const config = configFromEnv(process.env);
  for (const warning of configWarnings(process.env)) logger.warn(warning);
  // No HTTP auto-instrumentation here; and when the preload (`--import @wahooks/telemetry/register`, npm start and
  // the Docker image) started the SDK first, its HTTP instrumentation leaves outgoing requests alone: customers'
  // webhooks never carry traceparent or other tracing headers. The attempt handler makes its own span per POST.
  startTelemetry({ service: 'webhook-delivery', instrumentations: [] });
  const metrics = await serveServiceMetrics(config.metricsPort ?? 'off', logger); // /metrics, internal port
  const service = await startWebhookDelivery(config, { logger });
  stopOnSignals(metrics.stopAfter(service), logger);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
