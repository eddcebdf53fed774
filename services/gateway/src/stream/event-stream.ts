/**
 * `GET /api/ws`: the real-time event stream on the gateway's own HTTP port (README, "Event stream"). A plain
 * WebSocket (the `ws` package) per client; every replica reads the RabbitMQ stream of WhatsApp events itself, so
 * any replica serves any socket (no gateway-to-gateway traffic, no sticky sessions).
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { connectStream, type Broker } from '@wahooks/broker';
import { EventStreamQueue, Exchanges, StreamClose, StreamMarkerType, WhatsAppEvent } from '@wahooks/contracts';
import type { Logger } from '@wahooks/telemetry';
import type { Authenticator } from '../auth/authenticator.js';
import type { GatewayConfig } from '../config.js';
import { admit, type CloseFrame } from './handshake.js';
import { resume, type ReplayDeps } from './replay.js';
import { Revocations } from './revocations.js';
import { Slots } from './slots.js';
import { StreamHub } from './stream-hub.js';
import { parseStreamQuery } from './stream-query.js';
import { Subscriber } from './subscriber.js';

export const STREAM_PATH = '/api/ws';

export interface StreamStats {
  sockets: number; // admitted and open
  replaying: number; // resumes reading the stream or waiting for a turn
  bufferedBytes: number; // waiting in the sockets' write buffers, all sockets
  maxBufferedBytes: number; // the largest of one socket
  peakBufferedBytes: number; // the most one socket ever had waiting (since start): bounded by STREAM_MAX_BUFFERED_BYTES
  connected: boolean; // the stream connection is up
}

export interface EventStream {
  stats(): StreamStats;
  /** Refuse new sockets, close the open ones with 1012 (clients reconnect elsewhere), stop reading the stream. */
  close(): Promise<void>;
}

export interface EventStreamOptions {
  server: Server;
  broker: Broker;
  auth: Authenticator;
  config: GatewayConfig;
  logger: Logger;
}

/** Unacknowledged messages the live reader may hold (about a second of a busy stream). */
const LIVE_PREFETCH = 500;
/** How long stop waits for clients to answer the 1012 close before dropping them (ms). */
const CLOSE_WAIT_MS = 1000;
/** Clients send nothing but control frames; anything bigger than this closes the socket (1009). */
const MAX_CLIENT_MESSAGE_BYTES = 4096;

export async function startEventStream(options: EventStreamOptions): Promise<EventStream> {
  const { server, broker, auth, config, logger } = options;
  const hub = new StreamHub(config.PUBLIC_API_URL, logger);
  // A connection of its own (`<gateway connection name> stream`): the readers stay off the one carrying the RPCs.
  const connection = await connectStream({
    url: config.RABBITMQ_URL,
    service: 'gateway',
    instanceId: broker.instanceId,
    namespace: config.BROKER_NAMESPACE,
    queue: EventStreamQueue,
    bindings: [{ exchange: Exchanges.events, routingKey: WhatsAppEvent.type }],
    maxAge: config.STREAM_RETENTION,
    logger,
    connectWaitMs: 5000,
  });
  connection.consume('next', hub.onMessage, { label: 'live', prefetch: LIVE_PREFETCH });
  const revocations = new Revocations(broker, logger);
  await revocations.start();

  const slots = new Slots(config.STREAM_MAX_REPLAYS);
  const replayDeps: ReplayDeps = {
    connection,
    hub,
    slots,
    clockSkewMs: config.STREAM_CLOCK_SKEW_MS,
    logger,
    publishMarker: (id) =>
      broker.publishRaw('', EventStreamQueue, Buffer.from('{}'), {
        type: StreamMarkerType,
        messageId: id,
        contentType: 'application/json',
      }),
  };

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
  });
  const handshaking = new Set<WebSocket>();
  const peak = { bufferedBytes: 0 };
  let closing = false;

  const onSocket = async (ws: WebSocket, params: URLSearchParams): Promise<void> => {
    ws.on('error', (err) => logger.debug({ err: err.message }, 'event stream socket error'));
    const parsed = parseStreamQuery(params);
    if (!parsed.ok)
      return closeWith(ws, 'missingToken' in parsed ? StreamClose.missingToken : badRequest(parsed.message));
    const { query } = parsed;
    const since = Date.now();
    handshaking.add(ws);
    const result = await admit({ auth, broker, logger }, query).finally(() => handshaking.delete(ws));
    if (ws.readyState !== WebSocket.OPEN) return; // the client left, or stop() closed it meanwhile
    if (!result.ok) return closeWith(ws, result.close);
    const { user, tokenHash, expiresAtMs } = result.admitted;

    const sub = new Subscriber(
      ws,
      user.id,
      { connectionIds: query.connectionIds, events: query.events },
      { maxBufferedBytes: config.STREAM_MAX_BUFFERED_BYTES, peak, onClosed: (s) => hub.remove(s) },
    );
    ws.on('pong', () => (sub.alive = true));
    if (tokenHash && !revocations.track(sub, query.token, tokenHash, since)) return sub.close(StreamClose.invalidToken);
    if (expiresAtMs !== undefined) {
      const ms = expiresAtMs - Date.now();
      if (ms <= 0) return sub.close(StreamClose.invalidToken);
      if (ms < 2 ** 31) {
        const timer = setTimeout(() => sub.close(StreamClose.invalidToken), ms).unref();
        sub.onClose(() => clearTimeout(timer));
      }
    }
    if (query.after) await resume(replayDeps, sub, query.after);
    else hub.add(sub);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuseUpgrade(socket, 400, 'Malformed URL');
    }
    if (url.pathname !== STREAM_PATH) return refuseUpgrade(socket, 404, `Cannot GET ${url.pathname}`);
    if (closing) return refuseUpgrade(socket, 503, 'Gateway is stopping: reconnect');
    wss.handleUpgrade(req, socket, head, (ws) => {
      onSocket(ws, url.searchParams).catch((err: Error) => {
        logger.error({ err: err.message }, 'event stream socket setup failed');
        closeWith(ws, StreamClose.authFailed);
      });
    });
  };
  server.on('upgrade', onUpgrade);

  // Ping every socket; one that did not answer the previous ping is gone (a dead peer, a NAT that dropped it).
  const heartbeat = setInterval(() => {
    for (const sub of hub.subscribers()) {
      if (!sub.alive) {
        sub.ws.terminate();
        continue;
      }
      sub.alive = false;
      sub.ws.ping();
    }
  }, config.STREAM_PING_MS).unref();

  let closed: Promise<void> | undefined;
  return {
    stats() {
      let bufferedBytes = 0;
      let maxBufferedBytes = 0;
      for (const sub of hub.subscribers()) {
        const n = sub.ws.bufferedAmount;
        bufferedBytes += n;
        if (n > maxBufferedBytes) maxBufferedBytes = n;
      }
      return {
        sockets: hub.size,
        replaying: slots.active + slots.queued,
        bufferedBytes,
        maxBufferedBytes,
        peakBufferedBytes: peak.bufferedBytes,
        connected: connection.isConnected(),
      };
    },
    close: () =>
      (closed ??= (async () => {
        closing = true;
        server.off('upgrade', onUpgrade);
        clearInterval(heartbeat);
        revocations.stop();
        const sockets = [...handshaking, ...[...hub.subscribers()].map((s) => s.ws)];
        const gone = Promise.all(
          sockets.map((ws) =>
            ws.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => ws.once('close', resolve)),
          ),
        );
        for (const ws of handshaking) closeWith(ws, StreamClose.restart);
        for (const sub of [...hub.subscribers()]) sub.close(StreamClose.restart);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([gone, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
        clearTimeout(timer);
        for (const ws of sockets) ws.terminate();
        await connection.close();
        wss.close();
      })()),
  };
}

/** A close reason is at most 123 bytes (RFC 6455). */
function closeWith(ws: WebSocket, close: CloseFrame): void {
  let reason = close.reason;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  ws.close(close.code, reason);
}

const badRequest = (message: string): CloseFrame => ({ code: StreamClose.badRequest.code, reason: message });

/** Answer an upgrade we do not serve with a JSON error, as the REST API would, and close. */
function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const error = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ statusCode: status, error, message });
  socket.end(
    `HTTP/1.1 ${status} ${error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
