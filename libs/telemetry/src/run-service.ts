/**
 * The tail of every service's main.ts: on SIGTERM or SIGINT (once), stop the service (it drains in-flight work),
 * flush telemetry, exit 0; exit 1 when the stop fails. A second signal during the drain is ignored: the
 * supervisor (scripts/start.mjs, Docker) escalates to SIGKILL after its own grace period.
 */
import type { Logger } from './logger.js';
import { shutdownTelemetry } from './sdk.js';

export interface Stoppable {
  stop(): Promise<void>;
}

export function stopOnSignals(service: Stoppable, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    service
      .stop()
      .then(shutdownTelemetry)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
