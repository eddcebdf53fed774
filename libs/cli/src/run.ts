/** The CLI as a function (tests call it in-process): argv + env in, text out, exit code back. */
import { connectBroker, redactUrl, type Broker } from '@wahooks/broker';
import { AppError } from '@wahooks/contracts';
import { createLogger } from '@wahooks/telemetry';
import { parseCommand, UsageError } from './args.js';
import { runTokenCommand } from './commands/token.js';
import { CliConfigError, readCliConfig, type CliConfig } from './config.js';
import { processIo, type CliIo } from './output.js';
import { USAGE } from './usage.js';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  io?: CliIo;
}

class ConnectTimeout extends Error {}

async function connectWithin(config: CliConfig, timeoutMs: number): Promise<Broker> {
  let timer: NodeJS.Timeout | undefined;
  let gaveUp = false;
  const connecting = connectBroker({
    url: config.RABBITMQ_URL,
    service: 'gateway', // a requester only: it serves and subscribes nothing
    namespace: config.BROKER_NAMESPACE,
    defaultTimeoutMs: timeoutMs,
    connectRetries: 0, // an operator wants "cannot reach RabbitMQ" now, not after ~25 s of backoff
    logger: createLogger('cli', 'silent'), // stdout carries results only
  });
  // A connection that arrives after we gave up is closed, not leaked.
  connecting.then((b) => (gaveUp ? b.close() : undefined)).catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp = true;
      reject(new ConnectTimeout());
    }, timeoutMs);
  });
  try {
    return await Promise.race([connecting, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  const fail = (message: string, withUsage = false) => {
    io.stderr(`error: ${message}\n${withUsage ? `\n${USAGE}` : ''}`);
    return 1;
  };

  let cmd;
  try {
    cmd = parseCommand(argv);
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message, true);
    throw err;
  }
  if (cmd.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }

  let config: CliConfig;
  try {
    config = readCliConfig(options.env ?? process.env);
  } catch (err) {
    if (err instanceof CliConfigError) return fail(err.message);
    throw err;
  }
  const timeoutMs = cmd.timeoutMs ?? config.WAHOOKS_CLI_TIMEOUT_MS;

  let broker: Broker;
  try {
    broker = await connectWithin(config, timeoutMs);
  } catch (err) {
    const why = err instanceof ConnectTimeout ? `no connection within ${timeoutMs} ms` : (err as Error).message;
    return fail(`cannot reach RabbitMQ at ${redactUrl(config.RABBITMQ_URL)}: ${why}`);
  }
  try {
    await runTokenCommand(cmd, broker, io, timeoutMs);
    return 0;
  } catch (err) {
    if (err instanceof AppError && err.statusCode >= 500) {
      return fail(
        `token service unavailable (${err.statusCode}: ${err.message}). Is it running? Start it with npm start.`,
      );
    }
    if (err instanceof AppError) return fail(`${err.statusCode} ${err.error}: ${err.message}`);
    return fail((err as Error).message);
  } finally {
    await broker.close().catch(() => undefined);
  }
}
