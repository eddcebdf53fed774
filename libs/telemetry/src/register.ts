/**
 * Preload entry: `node --import @wahooks/telemetry/register dist/main.js`.
 * Registers the import-in-the-middle hook first (without it ESM `import express` is never patched and there are
 * no express spans), then starts the SDK before the service's own modules load. The service name comes from
 * OTEL_SERVICE_NAME, else the name of the working directory when it holds a `@wahooks/*` package (a service's
 * folder: `gateway`, `webhook-delivery`, …), else `wahooks`.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

function serviceName(): string {
  if (process.env.OTEL_SERVICE_NAME) return process.env.OTEL_SERVICE_NAME;
  try {
    const pkg = JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as { name?: string };
    if (pkg.name?.startsWith('@wahooks/')) return path.basename(process.cwd());
  } catch {
    // no package.json in the working directory: fall through
  }
  return 'wahooks';
}

const { startTelemetry } = await import('./sdk.js');
try {
  startTelemetry({ service: serviceName() });
} catch (err) {
  // A misconfigured exporter (e.g. an unknown OTEL_EXPORTER_OTLP_PROTOCOL) is an operator's mistake: one line.
  process.stderr.write(`telemetry: ${(err as Error).message}\n`);
  process.exit(1);
}
