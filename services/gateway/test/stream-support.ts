/**
 * Event stream test helpers: a WebSocket client of `/api/ws` that records what it gets, and WhatsApp events
 * published on the broker as the connection service would (envelope id = payload id).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocket, type ClientOptions } from 'ws';
import type { Broker } from '@wahooks/broker';
import { newEventId, WhatsAppEvent, type WhatsAppEventPayload } from '@wahooks/contracts';

export interface StreamClient {
  ws: WebSocket;
  /** Parsed JSON messages, in arrival order. */
  messages: any[];
  opened: Promise<void>;
  /** Resolves with the close code and reason (1006 when the connection just dropped). */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once at least `n` messages have arrived (rejects after `timeoutMs`, or when the socket closes first). */
  received(n: number, timeoutMs?: number): Promise<any[]>;
  close(): Promise<void>;
}

/** `base` is the gateway's http URL; `query` values may repeat (arrays). */
export function streamUrl(base: string, query: Record<string, string | string[] | undefined>): string {
  const url = new URL('/api/ws', base.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(query)) for (const one of [v ?? []].flat()) url.searchParams.append(k, one);
  return url.toString();
}

export function openStream(
  base: string,
  query: Record<string, string | string[] | undefined>,
  options?: ClientOptions,
): StreamClient {
  const ws = new WebSocket(streamUrl(base, query), options);
  const messages: any[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()));
    for (const w of waiters) w();
  });
  ws.on('error', () => undefined); // the close event tells
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.once('close', () => reject(new Error('closed before it opened')));
  });
  opened.catch(() => undefined);
  let isClosed = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      isClosed = true;
      for (const w of waiters) w();
      resolve({ code, reason: reason.toString() });
    }),
  );
  return {
    ws,
    messages,
    opened,
    closed,
    received: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) return done(() => resolve(messages.slice(0, n)));
          if (isClosed) return done(() => reject(new Error(`socket closed after ${messages.length}/${n} messages`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${messages.length}/${n} messages within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

/**
 * A socket of `gateway` once it is admitted: counted by the gateway's stream, so every event published from now on
 * reaches it. Open one at a time per gateway (the count tells only that one more socket was admitted).
 */
export async function admittedStream(
  gateway: { url: string; stream: { stats(): { sockets: number } } },
  query: Record<string, string | string[] | undefined>,
  timeoutMs = 10_000,
): Promise<StreamClient> {
  const before = gateway.stream.stats().sockets;
  const client = openStream(gateway.url, query);
  await client.opened;
  for (const until = Date.now() + timeoutMs; gateway.stream.stats().sockets <= before;) {
    if (Date.now() > until) throw new Error(`socket not admitted within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return client;
}

/** The socket's close code and reason, once it closes (e.g. a refused handshake). */
export const closeOf = (base: string, query: Record<string, string | string[] | undefined>) =>
  openStream(base, query).closed;

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * An event id (`evt_` + lower-case ULID) for the time `ms`, independent of this process's monotonic generator
 * (which never goes back in time): as another replica, with its own clock, would have made it.
 */
export function eventIdAt(ms: number): string {
  let time = '';
  for (let t = ms, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;
  let random = '';
  for (const b of randomBytes(16)) random += CROCKFORD[b % 32];
  return `evt_${time}${random}`;
}

export interface PublishedEvent {
  id: string;
  payload: WhatsAppEventPayload;
}

/** Publish one `connection.whatsapp.event` of `connectionId`, owned by `userId`, as the connection service would. */
export async function publishWhatsAppEvent(
  broker: Broker,
  fields: { userId: string; connectionId: string; event?: string; payload?: unknown; nowMs?: number },
): Promise<PublishedEvent> {
  const now = fields.nowMs ?? Date.now();
  const payload: WhatsAppEventPayload = {
    id: fields.nowMs === undefined ? newEventId(now) : eventIdAt(now),
    timestamp: now,
    event: fields.event ?? 'message',
    session: 'default',
    connectionId: fields.connectionId,
    userId: fields.userId,
    metadata: {},
    me: { id: '15551234567@c.us', pushName: 'Alice' },
    payload: fields.payload ?? { id: `false_15557654321@c.us_${randomUUID()}`, body: 'hello', fromMe: false },
    engine: 'NOWEB',
  };
  await broker.publish(WhatsAppEvent, payload, { id: payload.id });
  return { id: payload.id, payload };
}
