export { runCli, type RunOptions } from './run.js';
export { parseCommand, UsageError, type CliCommand } from './args.js';
export type { CliIo } from './output.js';
export { USAGE } from './usage.js';
