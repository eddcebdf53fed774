/** A service's main.ts: serve the registry on METRICS_PORT, close it after the service has drained. */
import { startMetricsServer, type MetricsServer } from './server.js';

export interface Stoppable {
  stop(): Promise<void>;
}

/** The subset of a pino logger used here (libs/telemetry's Logger is one). */
interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ServiceMetrics extends MetricsServer {
  /** `service`, whose stop() also closes the metrics server, after the service's own drain (still scrapeable). */
  stopAfter(service: Stoppable): Stoppable;
}

/**
 * Starts the metrics server. A port that cannot be bound is logged and the service runs on without its metrics:
 * they are for operators, and the service's own work matters more than its dashboard.
 */
export async function serveServiceMetrics(port: number | 'off', logger: Log): Promise<ServiceMetrics> {
  let server: MetricsServer;
  try {
    server = await startMetricsServer({ port });
    if (server.port !== undefined) logger.info({ metricsPort: server.port }, 'metrics on /metrics');
  } catch (err) {
    logger.error({ err: (err as Error).message, metricsPort: port }, 'METRICS_PORT unavailable: metrics not served');
    server = { port: undefined, close: () => Promise.resolve() };
  }
  return {
    ...server,
    stopAfter: (service) => ({
      stop: async () => {
        try {
          await service.stop();
        } finally {
          await server.close();
        }
      },
    }),
  };
}
