/** Composition root: environment -> config -> service; SIGTERM/SIGINT stop it gracefully. */
import { createLogger, shutdownTelemetry, startTelemetry } from '@wahooks/telemetry';
import { configFromEnv, configWarnings } from './config.js';
import { startWebhookDelivery } from './service.js';

async function main(): Promise<void> {
  const logger = createLogger('webhook-delivery');
  const config = configFromEnv(process.env);
  for (const warning of configWarnings(process.env)) logger.warn(warning);
  // No HTTP auto-instrumentation: it would add traceparent headers to customers' webhooks. The attempt
  // handler makes its own span per POST.
  startTelemetry({ service: 'webhook-delivery', instrumentations: [] });
  const service = await startWebhookDelivery(config, { logger });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    service
      .stop()
      .then(shutdownTelemetry)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
