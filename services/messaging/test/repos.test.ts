/** The repositories against a real Postgres: statuses only move forward, idempotency claims, chat turns. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { openDatabase, sqlOf, type DataSource } from '@wahooks/db';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import { IdempotencyRepo } from '../src/adapters/idempotency-repo.js';
import { MessagesRepo } from '../src/adapters/messages-repo.js';
import { ChatTurns } from '../src/handlers/chat-turns.js';
import { messagingMigrations } from '../src/migrations/index.js';

let env: TestEnv;
let db: DataSource;
let messages: MessagesRepo;
let idem: IdempotencyRepo;

beforeAll(async () => {
  env = await createTestEnv('msg_repos');
  db = await openDatabase({ url: env.databaseUrl, schema: 'messaging', migrations: messagingMigrations });
  messages = new MessagesRepo(sqlOf(db));
  idem = new IdempotencyRepo(sqlOf(db));
});

afterAll(async () => {
  await db?.destroy();
  await env?.cleanup();
});

const later = () => new Date(Date.now() + 60_000);
const acceptIn = (
  repo: MessagesRepo,
  connectionId: string,
  messageId: string,
  chat = '15550001111@s.whatsapp.net',
  turnUntil = later(),
) => repo.accept({ connectionId, messageId, userId: randomUUID(), chat, type: 'text', turnUntil });
const accept = async (...args: [string, string, string?, Date?]) => (await acceptIn(messages, ...args)).seq;

describe('MessagesRepo', () => {
  it('moves a status forward only, records each status once, and fails only pending/sent messages', async () => {
    const conn = randomUUID();
    const t = Date.now() + 1000;
    await accept(conn, 'M1');
    expect(await messages.advance(conn, 'M1', 'delivered', new Date(t))).toBe('delivered'); // a receipt first
    expect(await messages.advance(conn, 'M1', 'sent', new Date(t + 1000), { sentAt: 5 })).toBe('delivered');
    expect(await messages.advance(conn, 'M1', 'delivered', new Date(t + 2000))).toBe('delivered'); // again
    expect(await messages.advance(conn, 'M1', 'failed', new Date(t + 2500))).toBe('delivered'); // not after delivery
    expect(await messages.advance(conn, 'M1', 'read', new Date(t + 3000))).toBe('read');
    const history = await messages.history(conn, 'M1');
    expect(history.map((h) => h.status)).toEqual(['pending', 'delivered', 'sent', 'read']);
    expect(history[1]!.at.getTime()).toBe(t); // the first time it was seen
    expect((await messages.find(conn, 'M1'))?.sent_at).toBe('5');
    await accept(conn, 'M2');
    expect(await messages.advance(conn, 'M2', 'failed', new Date(), { error: 'nope' })).toBe('failed');
    expect((await messages.find(conn, 'M2'))?.error).toBe('nope');
    expect(await messages.advance(conn, 'unknown', 'read', new Date())).toBeUndefined();
  });

  it("numbers a chat's messages in order; a turn is open until closed or past its deadline", async () => {
    const conn = randomUUID();
    const s1 = await accept(conn, 'T1');
    const s2 = await accept(conn, 'T2');
    const other = await accept(conn, 'T3', '15550002222@s.whatsapp.net');
    expect([s1, s2, other]).toEqual([1, 2, 1]);
    expect(await messages.earlierTurnOpen(conn, '15550001111@s.whatsapp.net', s2)).toBe(true);
    await messages.closeTurn(conn, 'T1');
    expect(await messages.earlierTurnOpen(conn, '15550001111@s.whatsapp.net', s2)).toBe(false);
    const stale = await accept(conn, 'T4', '15550003333@s.whatsapp.net', new Date(Date.now() - 1000)); // its holder died
    const next = await accept(conn, 'T5', '15550003333@s.whatsapp.net');
    expect(next).toBe(stale + 1);
    expect(await messages.earlierTurnOpen(conn, '15550003333@s.whatsapp.net', next)).toBe(false);
  });

  it('tells at accept time whether an earlier turn is open, when its snapshot can see every earlier message', async () => {
    const conn = randomUUID();
    const chat = '15550005555@s.whatsapp.net';
    expect(await acceptIn(messages, conn, 'A1', chat)).toEqual({ seq: 1, earlierOpen: false });
    expect(await acceptIn(messages, conn, 'A2', chat)).toEqual({ seq: 2, earlierOpen: true }); // A1 holds its turn
    await messages.advance(conn, 'A1', 'sent', new Date(), { sentAt: 1, closeTurn: true });
    await messages.advance(conn, 'A2', 'failed', new Date(), { error: 'x', closeTurn: true });
    expect(await acceptIn(messages, conn, 'A3', chat)).toEqual({ seq: 3, earlierOpen: false });
    expect((await messages.history(conn, 'A2')).map((h) => h.status)).toEqual(['pending', 'failed']);
    await messages.closeTurn(conn, 'A3');

    // A4 is accepted in a transaction still open while A5 is accepted: A5 waits for the sequence row, and its
    // statement's snapshot cannot see A4's row, so it must not answer "nothing earlier is open".
    let a5: Promise<{ seq: number; earlierOpen?: boolean }> | undefined;
    await sqlOf(db).transaction(async (tx) => {
      expect((await acceptIn(new MessagesRepo(tx), conn, 'A4', chat)).seq).toBe(4);
      a5 = acceptIn(messages, conn, 'A5', chat);
      await new Promise((r) => setTimeout(r, 300));
    });
    const late = await a5!;
    expect(late.seq).toBe(5);
    expect(late.earlierOpen).not.toBe(false);
    expect(await messages.earlierTurnOpen(conn, chat, 5)).toBe(true); // A4 holds its turn
  });
});

describe('ChatTurns', () => {
  it('lets a later message go only when the earlier one closed its turn, and gives up at the deadline', async () => {
    const conn = randomUUID();
    const chat = '15550004444@s.whatsapp.net';
    const turns = new ChatTurns(messages);
    const first = await accept(conn, 'W1', chat);
    const second = await accept(conn, 'W2', chat);
    await turns.wait(conn, chat, first, Date.now() + 5000); // nothing before it
    let went = false;
    const waiting = turns.wait(conn, chat, second, Date.now() + 10_000).then(() => (went = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(went).toBe(false);
    await messages.closeTurn(conn, 'W1');
    turns.released(conn, chat);
    await waiting;
    const third = await accept(conn, 'W3', chat); // W2 never closes its turn
    await expect(turns.wait(conn, chat, third, Date.now() + 300)).rejects.toMatchObject({ statusCode: 503 });
  });
});

describe('IdempotencyRepo', () => {
  it('claims once, replays, refuses another body, and hands an unknown outcome to the next try with the same id', async () => {
    const user = randomUUID();
    const lease = later();
    expect(await idem.claim(user, 'k', 'a'.repeat(64), 'ID1', lease)).toEqual({ kind: 'new', messageId: 'ID1' });
    expect(await idem.claim(user, 'k', 'a'.repeat(64), 'ID2', lease)).toEqual({ kind: 'busy' });
    expect(await idem.claim(user, 'k', 'b'.repeat(64), 'ID2', lease)).toEqual({ kind: 'mismatch' });
    await idem.unknown(user, 'k', 'ID1');
    expect(await idem.claim(user, 'k', 'a'.repeat(64), 'ID3', lease)).toEqual({ kind: 'retry', messageId: 'ID1' });
    const response = { id: 'true_1@c.us_ID1', timestamp: 1, status: 'sent' as const };
    await idem.done(user, 'k', 'ID1', response);
    expect(await idem.claim(user, 'k', 'a'.repeat(64), 'ID4', lease)).toEqual({ kind: 'replay', response });
    expect(await idem.claim(randomUUID(), 'k', 'a'.repeat(64), 'ID5', lease)).toEqual({
      kind: 'new',
      messageId: 'ID5',
    });
    // A released key (nothing was sent) is new again; a lease that ran out (its replica died) is taken over.
    await idem.claim(user, 'free', 'c'.repeat(64), 'ID6', lease);
    await idem.release(user, 'free', 'ID6');
    expect(await idem.claim(user, 'free', 'c'.repeat(64), 'ID7', lease)).toEqual({ kind: 'new', messageId: 'ID7' });
    await idem.claim(user, 'dead', 'd'.repeat(64), 'ID8', new Date(Date.now() - 1));
    expect(await idem.claim(user, 'dead', 'd'.repeat(64), 'ID9', lease)).toEqual({ kind: 'retry', messageId: 'ID8' });
  });
});
