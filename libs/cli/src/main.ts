#!/usr/bin/env node
/** `npm run wahooks -- <args>` → node libs/cli/dist/main.js <args>. */
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
});
process.exitCode = code;
// A half-open broker connection (RabbitMQ unreachable) must not keep the CLI alive.
setTimeout(() => process.exit(code), 2000).unref();
