/**
 * The event stream's limits: a client that stops reading is cut with 4008 once its socket's write buffer passes
 * STREAM_MAX_BUFFERED_BYTES (the gateway's memory for it stays bounded, other sockets are not held up), and it
 * resumes with `after=` without losing anything; a client that stops answering pings is dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Broker } from '@wahooks/broker';
import type { Gateway } from '../src/service.js';
import { startStreamStack, type StreamStack } from './stream-stack.js';
import { admittedStream, openStream, publishWhatsAppEvent } from './stream-support.js';
import { waitFor, type TokenServiceProcess } from './support.js';

const MAX_BUFFERED = 64 * 1024;
const PING_MS = 200;
let gw: Gateway; // pings rarely: a client that does not read must be cut by its buffer, not by the heartbeat
let pinging: Gateway;
let tokenService: TokenServiceProcess;
let publisher: Broker;
let stack: StreamStack;

beforeAll(async () => {
  stack = await startStreamStack('gateway_stream_limits', [
    { STREAM_MAX_BUFFERED_BYTES: String(MAX_BUFFERED), STREAM_PING_MS: '600000' },
    { STREAM_PING_MS: String(PING_MS) },
  ]);
  ({ tokenService, publisher } = stack);
  [gw, pinging] = stack.gateways as [Gateway, Gateway];
}, 60_000);

afterAll(() => stack?.stop());

describe('a client that does not read', () => {
  it('is closed with 4008 at the buffer limit, its buffer never far past it; it resumes with after=', async () => {
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    const slow = await admittedStream(gw, { token });
    const reader = await admittedStream(gw, { token }); // the same user's socket that keeps reading
    slow.ws.pause(); // stop reading: the kernel buffers fill, then the gateway's

    // 16 KB events until the gateway gives up on the slow socket (kernel buffers take a few MB first).
    const body = 'x'.repeat(16 * 1024);
    const published: string[] = [];
    while (gw.stream.stats().sockets === 2 && published.length < 5000) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, () =>
          publishWhatsAppEvent(publisher, { userId, connectionId: randomUUID(), payload: { body } }),
        ),
      );
      published.push(...batch.map((e) => e.id));
      await new Promise((r) => setTimeout(r, 5)); // let the gateway write between batches
    }
    expect(gw.stream.stats().sockets).toBe(1); // cut, while the reading socket stays
    // Bounded: the limit plus at most one message (and its frame header) that found room below it.
    const { peakBufferedBytes } = gw.stream.stats();
    expect(peakBufferedBytes).toBeGreaterThan(MAX_BUFFERED / 2); // it did fill up
    expect(peakBufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED + 16); // and never past the limit (+ a frame header)

    // Reading again (within the gateway's grace): what was already on its way, then the 4008 close frame.
    slow.ws.resume();
    expect(await slow.closed).toEqual({ code: 4008, reason: 'Client too slow: reconnect with after=<last id>' });

    // The reader got everything, in order, while the other socket was stuck.
    await reader.received(published.length, 30_000);
    expect(reader.messages.map((m) => m.id)).toEqual(published);
    await reader.close();

    const got = slow.messages.map((m) => m.id);
    expect(got.length).toBeLessThan(published.length);
    expect(got).toEqual(published.slice(0, got.length));

    // Resuming after the last one it read gets the rest, exactly.
    const again = openStream(gw.url, { token, after: got.at(-1)! });
    await again.received(published.length - got.length, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.messages.map((m) => m.id)).toEqual(published.slice(got.length));
    await again.close();
  }, 120_000);
});

describe('heartbeat', () => {
  it('a socket that answers pings stays; one that does not is dropped', async () => {
    const userId = randomUUID();
    const { token } = await tokenService.mint(userId);
    const healthy = await admittedStream(pinging, { token });
    const before = pinging.stream.stats().sockets;
    const deaf = openStream(pinging.url, { token }, { autoPong: false });
    await waitFor(() => pinging.stream.stats().sockets === before + 1);
    // Dropped at the first ping it has not answered by the next one: about two ping intervals.
    const { code } = await deaf.closed;
    expect(code).toBe(1006); // terminated, no close frame
    await new Promise((r) => setTimeout(r, PING_MS * 3));
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    await publishWhatsAppEvent(publisher, { userId, connectionId: randomUUID() });
    await healthy.received(1);
    await healthy.close();
  });
});
