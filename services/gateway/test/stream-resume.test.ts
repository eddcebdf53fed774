/**
 * Resume with `after=<last id>`: exactly the missed events, then live, with no gap and no duplicate at the seam
 * (also while events keep coming, and on another replica); position in the stream decides, not id order; an id no
 * longer kept gives `stream.gap` first, then what is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Broker } from '@wahooks/broker';
import { newEventId } from '@wahooks/contracts';
import type { TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { startStreamStack, type StreamStack } from './stream-stack.js';
import { admittedStream, eventIdAt, openStream, publishWhatsAppEvent } from './stream-support.js';
import { startTestGateway, waitFor, type TokenServiceProcess } from './support.js';

let env: TestEnv;
let gw: Gateway;
let replica: Gateway;
let tokenService: TokenServiceProcess;
let publisher: Broker;
let stack: StreamStack;

beforeAll(async () => {
  stack = await startStreamStack('gateway_stream_resume', [{}, {}]);
  ({ env, tokenService, publisher } = stack);
  [gw, replica] = stack.gateways as [Gateway, Gateway];
}, 60_000);

afterAll(() => stack?.stop());

async function newUser() {
  const userId = randomUUID();
  return { userId, token: (await tokenService.mint(userId)).token, connectionId: randomUUID() };
}

async function publishN(userId: string, connectionId: string, n: number, event = 'message'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await publishWhatsAppEvent(publisher, { userId, connectionId, event })).id);
  return ids;
}

/** Nothing more arrives for a moment (what was expected has arrived; anything extra would show now). */
const settle = () => new Promise((r) => setTimeout(r, 400));

describe('resume with after=', () => {
  it('gets exactly the events missed while disconnected, then live ones', async () => {
    const u = await newUser();
    const other = await newUser();
    const first = await admittedStream(gw, { token: u.token });
    const seen = await publishN(u.userId, u.connectionId, 5);
    await first.received(5);
    await first.close();

    const missed = await publishN(u.userId, u.connectionId, 7);
    await publishN(other.userId, other.connectionId, 4); // not theirs
    const again = openStream(gw.url, { token: u.token, after: seen[4]! });
    await again.received(7);
    const live = await publishN(u.userId, u.connectionId, 3);
    await again.received(10);
    await settle();
    expect(again.messages.map((m) => m.id)).toEqual([...missed, ...live]);
    await again.close();
  });

  it('no gap and no duplicate at the seam while events keep coming, resumed on another replica', async () => {
    const u = await newUser();
    const published: string[] = [];
    let publishing = true;
    const pump = (async () => {
      while (publishing) {
        published.push((await publishWhatsAppEvent(publisher, { userId: u.userId, connectionId: u.connectionId })).id);
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const received: string[] = [];
    let after: string | undefined;
    // Three sockets in turn, each dropped after a few events, alternating replicas; the pump never pauses.
    for (const [i, gateway] of [gw, replica, gw].entries()) {
      const client = openStream(gateway.url, { token: u.token, ...(after ? { after } : {}) });
      await client.received(20, 20_000);
      client.ws.terminate(); // abrupt, as a dropped network would
      await client.closed;
      received.push(...client.messages.map((m) => m.id));
      after = received.at(-1);
      if (i === 0) await new Promise((r) => setTimeout(r, 200)); // published meanwhile: replayed next
    }
    publishing = false;
    await pump;
    const last = openStream(replica.url, { token: u.token, after: after! });
    const rest = published.length - published.indexOf(after!) - 1;
    await last.received(rest, 20_000);
    await settle();
    received.push(...last.messages.map((m) => m.id));
    await last.close();
    // The first socket joined while the pump was running: it starts at whatever was live then.
    expect(received).toEqual(published.slice(published.indexOf(received[0]!)));
  });

  it('position in the stream decides, not id order: an older id published later is replayed', async () => {
    const u = await newUser();
    const client = await admittedStream(gw, { token: u.token });
    const [seen] = await publishN(u.userId, u.connectionId, 1);
    await client.received(1);
    await client.close();
    // Another connection's replica relayed late: its event has an id from a minute before `seen`.
    const late = await publishWhatsAppEvent(publisher, {
      userId: u.userId,
      connectionId: randomUUID(),
      nowMs: Date.now() - 60_000,
    });
    const again = openStream(gw.url, { token: u.token, after: seen! });
    await again.received(1);
    await settle();
    expect(again.messages.map((m) => m.id)).toEqual([late.id]);
    expect(late.id < seen!).toBe(true);
    await again.close();
  });

  it('the filters apply to the replay too', async () => {
    const u = await newUser();
    const client = await admittedStream(gw, { token: u.token, events: 'message.ack' });
    const [seen] = await publishN(u.userId, u.connectionId, 1, 'message.ack');
    await client.received(1);
    await client.close();
    await publishN(u.userId, u.connectionId, 3, 'message');
    const acks = await publishN(u.userId, u.connectionId, 2, 'message.ack');
    const again = openStream(gw.url, { token: u.token, events: 'message.ack', after: seen! });
    await again.received(2);
    await settle();
    expect(again.messages.map((m) => m.id)).toEqual(acks);
    await again.close();
  });

  it('a stopping replica sends 1012; the client resumes on another one without losing anything', async () => {
    const u = await newUser();
    const third = await startTestGateway(env);
    const client = await admittedStream(third, { token: u.token });
    const before = await publishN(u.userId, u.connectionId, 3);
    await client.received(3);
    await third.stop(100);
    expect((await client.closed).code).toBe(1012);
    const during = await publishN(u.userId, u.connectionId, 4);
    const again = openStream(replica.url, { token: u.token, after: before[2]! });
    await again.received(4);
    await settle();
    expect(again.messages.map((m) => m.id)).toEqual(during);
    await again.close();
  });
});

describe('an id older than what is kept', () => {
  it('first {"event":"stream.gap"}, then every kept event of the user', async () => {
    const u = await newUser();
    const kept = await publishN(u.userId, u.connectionId, 3);
    // An id from an hour before this test's stream existed.
    const client = openStream(gw.url, { token: u.token, after: eventIdAt(Date.now() - 3600_000) });
    await client.received(4);
    const live = await publishN(u.userId, u.connectionId, 1);
    await client.received(5);
    await settle();
    expect(client.messages[0]).toEqual({ event: 'stream.gap' });
    expect(client.messages.slice(1).map((m) => m.id)).toEqual([...kept, ...live]);
    await client.close();
  });

  it('an id that was never in the stream: a gap, then the events since its time', async () => {
    const u = await newUser();
    const made = newEventId(); // an id nobody published
    const since = await publishN(u.userId, u.connectionId, 2);
    const client = openStream(gw.url, { token: u.token, after: made });
    await client.received(3);
    await settle();
    expect(client.messages[0]).toEqual({ event: 'stream.gap' });
    expect(client.messages.slice(1).map((m) => m.id)).toEqual(since);
    await waitFor(() => gw.stream.stats().replaying === 0);
    await client.close();
  });
});
