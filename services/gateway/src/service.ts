/**
 * Starts one gateway instance: broker, Redis, auth, routes, HTTP server. No process.env reads here (main.ts
 * does that), so tests can start several instances with their own config (PORT 0 = any free port).
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { connectBroker, on, type Broker } from '@wahooks/broker';
import { TokenRevoked } from '@wahooks/contracts';
import { createLogger, type Logger } from '@wahooks/telemetry';
import { createApp } from './app.js';
import { ApiTokenVerifier } from './auth/api-token-verifier.js';
import { Authenticator } from './auth/authenticator.js';
import { JwtVerifier } from './auth/jwt-verifier.js';
import { TokenUseReporter } from './auth/token-use-reporter.js';
import { jwksUrl, type GatewayConfig } from './config.js';
import type { GatewayDeps } from './deps.js';
import { createHealthChecker } from './health/health-checker.js';
import { listen } from './http/listen.js';
import { createRateLimits } from './rate-limit/rate-limits.js';
import { routes } from './routes/index.js';
import { startEventStream, type EventStream } from './stream/event-stream.js';

export interface Gateway {
  url: string; // http://127.0.0.1:<port>
  port: number;
  server: Server;
  broker: Broker;
  /** `GET /api/ws`, the real-time event stream. */
  stream: EventStream;
  /** Stop accepting requests, let in-flight ones finish (up to `graceMs`), then close every connection. */
  stop(graceMs?: number): Promise<void>;
}

const VERSION = '0.1.0';

export async function startGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);

  const redis = createClient({
    url: config.REDIS_URL,
    disableOfflineQueue: true, // a command while disconnected fails at once; the rate limiter then fails open
    // No per-command timeout: node-redis arms an AbortSignal.timeout for every command (a timer and, 5 s later,
    // a DOMException each), measurable per request here. The rate limiter bounds its waits with one timer per
    // batch, and /api/health with its own.
    commandOptions: { timeout: 0 },
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(200 * 2 ** retries, 5000) },
  });
  let redisWarned = false;
  redis.on('error', (err: Error) => {
    if (!redisWarned) logger.warn({ err: err.message }, 'Redis unavailable; rate limits fail open until it is back');
    redisWarned = true;
  });
  redis.on('ready', () => {
    if (redisWarned) logger.info('Redis connection restored');
    redisWarned = false;
  });
  // Not awaited to the end: a gateway starts (and reports Redis down in /api/health) without Redis.
  const redisConnecting = redis.connect().catch(() => undefined);
  await Promise.race([redisConnecting, new Promise((r) => setTimeout(r, 2000).unref())]);

  const broker = await connectBroker({
    url: config.RABBITMQ_URL,
    service: 'gateway',
    namespace: config.BROKER_NAMESPACE,
    logger,
    defaultTimeoutMs: config.RPC_TIMEOUT_MS,
  }).catch(async (err: unknown) => {
    if (redis.isOpen) redis.destroy();
    await redisConnecting;
    throw err;
  });

  const tokenUses = new TokenUseReporter(broker, config.AUTH_USAGE_FLUSH_MS, logger);
  tokenUses.start();
  const apiTokens = new ApiTokenVerifier(broker, config.AUTH_CACHE_TTL_MS, tokenUses);
  // Every replica gets every revocation: an exclusive, server-named queue per instance.
  await broker.subscribe('auth-cache', [on(TokenRevoked, async ({ tokenHash }) => apiTokens.revoke(tokenHash))], {
    exclusive: true,
  });
  const jwt = new JwtVerifier({
    jwksUrl: jwksUrl(config),
    hs256Secret: config.SUPABASE_JWT_SECRET,
    jwksTimeoutMs: config.JWKS_TIMEOUT_MS,
  });
  const auth = new Authenticator(broker, apiTokens, jwt);

  // Revocations published while we were disconnected are lost with the exclusive queue: start cold after a reconnect.
  let wasConnected = broker.isConnected();
  const watch = setInterval(() => {
    const connected = broker.isConnected();
    if (connected && !wasConnected) apiTokens.cache.clear();
    wasConnected = connected;
  }, 250).unref();

  const health = createHealthChecker({
    broker,
    redis,
    timeoutMs: config.HEALTH_TIMEOUT_MS,
    cacheMs: config.HEALTH_CACHE_MS,
  });
  const deps: GatewayDeps = { config, broker, logger, health, redis };
  const rateLimits = createRateLimits({
    redis,
    prefix: config.REDIS_PREFIX,
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    logger,
  });
  const app = createApp({ deps, routes, auth, rateLimits, version: VERSION });

  const server = await listen(app, config.PORT).catch(async (err: unknown) => {
    clearInterval(watch);
    await tokenUses.stop(0);
    await broker.close().catch(() => undefined);
    if (redis.isOpen) redis.destroy();
    await redisConnecting;
    throw err;
  });
  // Requests still being answered; stop() lets them finish before the broker they wait on is closed.
  let inFlight = 0;
  server.on('request', (_req, res: ServerResponse) => {
    inFlight++;
    res.once('close', () => inFlight--);
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'gateway listening');
  const stream = await startEventStream({ server, broker, auth, config, logger }); // upgrades on /api/ws

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      clearInterval(watch);
      await stream.close(); // sockets first (1012): server.close() waits for them
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await tokenUses.stop(); // the last cached uses, before the broker goes
      await broker.close().catch((err: Error) => logger.warn({ err: err.message }, 'broker close failed'));
      if (redis.isReady) await redis.close().catch(() => undefined);
      else if (redis.isOpen) redis.destroy(); // still (re)connecting: stop trying
      await redisConnecting;
    })());

  return { url: `http://127.0.0.1:${port}`, port, server, broker, stream, stop };
}
