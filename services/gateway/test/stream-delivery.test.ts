/**
 * What an admitted `/api/ws` socket receives, with `connection.whatsapp.event`s published on the real broker as the
 * connection service publishes them: the message shape (id = the event id, no userId, media URLs absolute), routing
 * by owner (another user's socket gets nothing), the `events` filter, two gateway replicas, and the original
 * TypeScript SDK's client. (The emulator → connection service path and the `connectionId` filter, which needs the
 * connection service, are in e2e/test/stream.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { Broker } from '@wahooks/broker';
import type { Gateway } from '../src/service.js';
import { startStreamStack, type StreamStack } from './stream-stack.js';
import { admittedStream, publishWhatsAppEvent, streamUrl, type StreamClient } from './stream-support.js';
import { waitFor, type TokenServiceProcess } from './support.js';

const PUBLIC_API_URL = 'https://api.wahooks.example';
let gw: Gateway;
let replica: Gateway;
let tokenService: TokenServiceProcess;
let publisher: Broker;
let stack: StreamStack;

beforeAll(async () => {
  stack = await startStreamStack('gateway_stream_delivery', [{ PUBLIC_API_URL }, { PUBLIC_API_URL }]);
  ({ tokenService, publisher } = stack);
  [gw, replica] = stack.gateways as [Gateway, Gateway];
}, 60_000);

afterAll(() => stack?.stop());

/** A user with a token and a socket on `gateway` that is admitted (it got a first "ready" event, not kept). */
async function connectedUser(
  gateway: Gateway = gw,
  query: Record<string, string> = {},
): Promise<{ userId: string; token: string; client: StreamClient }> {
  const userId = randomUUID();
  const { token } = await tokenService.mint(userId);
  return { userId, token, client: await admittedStream(gateway, { token, ...query }) };
}

describe('one message per event', () => {
  it('{id, event, connectionId, payload, timestamp}: id = the event id, timestamp ISO, no userId', async () => {
    const { userId, client } = await connectedUser();
    const connectionId = randomUUID();
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const sent = await publishWhatsAppEvent(publisher, {
      userId,
      connectionId,
      nowMs: at,
      payload: { id: 'false_1@c.us_ABC', body: 'hi', fromMe: false },
    });
    const [m] = await client.received(1);
    expect(m).toEqual({
      id: sent.id,
      event: 'message',
      connectionId,
      payload: { id: 'false_1@c.us_ABC', body: 'hi', fromMe: false },
      timestamp: '2026-01-02T03:04:05.678Z',
    });
    expect(JSON.stringify(m)).not.toContain(userId);
    await client.close();
  });

  it('media URLs are absolute under PUBLIC_API_URL, also in a revoked message’s before/after', async () => {
    const { userId, client } = await connectedUser();
    const connectionId = randomUUID();
    const media = (file: string) => ({
      url: `/api/connections/${connectionId}/media/${file}`,
      file,
      mimetype: 'image/jpeg',
      filename: null,
      error: null,
    });
    await publishWhatsAppEvent(publisher, {
      userId,
      connectionId,
      payload: { id: 'm1', hasMedia: true, media: media('a.jpeg') },
    });
    await publishWhatsAppEvent(publisher, {
      userId,
      connectionId,
      event: 'message.revoked',
      payload: { revokedMessageId: 'm1', before: { id: 'm1', hasMedia: true, media: media('b.jpeg') }, after: null },
    });
    const [message, revoked] = await client.received(2);
    const shown = (file: string) => ({
      url: `${PUBLIC_API_URL}/api/connections/${connectionId}/media/${file}`,
      mimetype: 'image/jpeg',
      filename: null,
      error: null,
    });
    expect(message.payload.media).toEqual(shown('a.jpeg'));
    expect(revoked.payload.before.media).toEqual(shown('b.jpeg'));
    await client.close();
  });
});

describe('routing by owner', () => {
  it("each socket gets its user's events of every connection, even ones it never heard of; never another's", async () => {
    const alice = await connectedUser();
    const alice2 = await connectedUser(replica); // another user on the other replica
    const bob = await connectedUser();
    const sent: Record<string, string[]> = { [alice.userId]: [], [bob.userId]: [], [alice2.userId]: [] };
    for (let i = 0; i < 30; i++) {
      const owner = [alice, bob, alice2][i % 3]!;
      // a new connection id every time: created after the socket connected
      const e = await publishWhatsAppEvent(publisher, { userId: owner.userId, connectionId: randomUUID() });
      sent[owner.userId]!.push(e.id);
    }
    for (const u of [alice, bob, alice2]) {
      await u.client.received(10);
      await new Promise((r) => setTimeout(r, 300)); // nothing more should come
      expect(u.client.messages.map((m) => m.id)).toEqual(sent[u.userId]);
      await u.client.close();
    }
  });

  it('a user with sockets on two replicas gets every event on each, once, in order', async () => {
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    const a = await admittedStream(gw, { token });
    const b = await admittedStream(replica, { token });
    const c = await admittedStream(replica, { token });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push((await publishWhatsAppEvent(publisher, { userId, connectionId: randomUUID() })).id);
    for (const client of [a, b, c]) {
      await client.received(40);
      expect(client.messages.map((m) => m.id)).toEqual(ids);
      await client.close();
    }
  });
});

describe('the events filter', () => {
  it('events=message,message.ack: only those; "*" and no filter: everything', async () => {
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    const some = await admittedStream(gw, { token, events: 'message,message.ack' });
    const star = await admittedStream(gw, { token, events: '*' });
    const all = await admittedStream(gw, { token });
    const connectionId = randomUUID();
    for (const event of ['message', 'presence.update', 'message.ack', 'session.status', 'message'])
      await publishWhatsAppEvent(publisher, { userId, connectionId, event });
    await all.received(5);
    await star.received(5);
    await some.received(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(some.messages.map((m) => m.event)).toEqual(['message', 'message.ack', 'message']);
    expect(star.messages.map((m) => m.event)).toEqual(all.messages.map((m) => m.event));
    for (const c of [some, star, all]) await c.close();
  });
});

describe('the original TypeScript SDK', () => {
  /** WAHooksEventStream of the original SDK (sdks/typescript/src/client.ts), with ws's browser-style API. */
  class WAHooksEventStream {
    onmessage?: (event: { event: string; connectionId: string; payload: unknown; timestamp: string }) => void;
    onopen?: () => void;
    private ws: WebSocket;
    constructor(url: string) {
      this.ws = new WebSocket(url);
      this.ws.onopen = () => this.onopen?.();
      this.ws.onmessage = (msg) => {
        const data = JSON.parse(typeof msg.data === 'string' ? msg.data : msg.data.toString());
        this.onmessage?.(data);
      };
    }
    close() {
      this.ws.close();
    }
  }

  it('listen(): a WebSocket to /api/ws?token= gets JSON events', async () => {
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    // as WAHooks.listen() builds it from baseUrl
    const url = `${gw.url.replace(/^http/, 'ws')}/api/ws?token=${encodeURIComponent(token)}`;
    expect(url).toBe(streamUrl(gw.url, { token }));
    const before = gw.stream.stats().sockets;
    const stream = new WAHooksEventStream(url);
    const got: { event: string; connectionId: string; payload: unknown; timestamp: string }[] = [];
    stream.onmessage = (e) => got.push(e);
    await new Promise<void>((resolve) => (stream.onopen = resolve));
    await waitFor(() => gw.stream.stats().sockets > before);
    const connectionId = randomUUID();
    await publishWhatsAppEvent(publisher, { userId, connectionId, payload: { body: 'from the SDK test' } });
    await waitFor(() => got.length > 0);
    expect(got[0]).toMatchObject({ event: 'message', connectionId, payload: { body: 'from the SDK test' } });
    expect(new Date(got[0]!.timestamp).toISOString()).toBe(got[0]!.timestamp);
    stream.close();
  });
});
