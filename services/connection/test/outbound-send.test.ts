/**
 * Session-owned sends over the real broker, Postgres and Redis, executed by a real connection replica on a
 * session linked to the emulator; the emulator decrypts what arrives (its outbound records) and we compare.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { AppError, type OutboundContent } from '@wahooks/contracts';
import type { OutboundRecord } from '@wahooks/wa-emulator';
import { waitFor } from './support/emulated.js';
import {
  failure,
  jidOf,
  linkConnection,
  newMessageId,
  restartService,
  send,
  stage,
  startHarness,
  type OutboundHarness,
} from './support/outbound-harness.js';

const CONTACT = '4915700001001';
const OTHER = '4915700001002';
let h: OutboundHarness;
let id: string; // the linked connection
let phone: string; // its emulated phone

beforeAll(async () => {
  h = await startHarness('outbound_send', { emulator: { autoReceipt: 'none' } });
  ({ id, phone } = await linkConnection(h));
}, 90_000);

afterAll(async () => {
  await h?.close();
});

const recordOf = (messageId: string): Promise<OutboundRecord> =>
  waitFor(() => h.emulator.outbound(phone).find((r) => r.id === messageId), `outbound ${messageId}`);

/** An inbound message from `from`, once the session has stored it (so it can be quoted or reacted to). */
async function inboundText(from: string, text: string): Promise<string> {
  const { id: messageId } = await h.emulator.inbound({ to: phone, from, type: 'text', text });
  await waitFor(
    async () =>
      (
        await h.database.sql.query('SELECT 1 FROM connection.messages WHERE connection_id = $1 AND key_id = $2', [
          id,
          messageId,
        ])
      ).length > 0,
    `stored ${messageId}`,
  );
  return messageId;
}

async function sendOk(
  content: OutboundContent,
  extra: { replyTo?: Parameters<typeof send>[1]['replyTo']; to?: string } = {},
) {
  const messageId = newMessageId();
  const chatId = jidOf(extra.to ?? CONTACT);
  const before = Math.floor(Date.now() / 1000);
  const reply = await send(h, {
    connectionId: id,
    chatId,
    messageId,
    content,
    ...(extra.replyTo ? { replyTo: extra.replyTo } : {}),
  });
  expect(reply).toMatchObject({ messageId, chatId, duplicate: false });
  expect(reply.timestamp).toBeGreaterThanOrEqual(before - 1);
  expect(reply.timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
  const record = await recordOf(messageId);
  expect(record).toMatchObject({ from: phone, to: extra.to ?? CONTACT });
  expect(record.error).toBeUndefined();
  return { messageId, record, reply };
}

describe('every send type reaches the recipient as sent', () => {
  it('text', async () => {
    const { record } = await sendOk({ type: 'text', text: 'hello from the API https://example.invalid' });
    expect(record).toMatchObject({ type: 'text', text: 'hello from the API https://example.invalid' });
    // no link preview was generated (nothing fetched): the text has no preview fields
    expect(JSON.stringify(record.message)).not.toMatch(/matchedText|canonicalUrl/);
  });

  it.each([
    ['image', 'image/png', { caption: 'a picture' }],
    ['video', 'video/mp4', { caption: 'a clip' }],
    ['audio', 'audio/ogg; codecs=opus', {}],
    ['document', 'application/pdf', { caption: 'the invoice', fileName: 'invoice-42.pdf' }],
  ] as const)(
    '%s: same bytes, mimetype and caption/file name; the staged bytes are deleted',
    async (type, mimetype, extra) => {
      const data = randomBytes(4096 + 17);
      const media = await stage(h, data, mimetype, 'fileName' in extra ? extra.fileName : undefined);
      const content = { type, media, ...extra } as OutboundContent;
      const { record } = await sendOk(content);
      expect(record).toMatchObject({ type, mimetype, ...extra });
      expect(record.media?.equals(data)).toBe(true);
      if (type === 'audio') expect(record.ptt).toBe(true);
      expect(await h.redis.exists(media.key)).toBe(0);
    },
  );

  it('location with its coordinates, name and address', async () => {
    const { record } = await sendOk({
      type: 'location',
      latitude: 52.52,
      longitude: 13.405,
      name: 'Brandenburger Tor',
      address: 'Pariser Platz, Berlin',
    });
    expect(record).toMatchObject({
      type: 'location',
      location: { latitude: 52.52, longitude: 13.405, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' },
    });
  });

  it('contact card with its vCard', async () => {
    const vcard =
      'BEGIN:VCARD\nVERSION:3.0\nFN:Jane Roe\nTEL;type=CELL;type=VOICE;waid=15551230000:+15551230000\nEND:VCARD';
    const { record } = await sendOk({ type: 'contact', displayName: 'Jane Roe', vcard });
    expect(record).toMatchObject({ type: 'contact', vcard, displayName: 'Jane Roe' });
  });
});

describe('messages that refer to other messages', () => {
  it('a reply quotes the right message (theirs, or one of ours), for text and for media', async () => {
    const theirs = await inboundText(CONTACT, 'what time is it?');
    const { record } = await sendOk(
      { type: 'text', text: 'noon' },
      { replyTo: { chatId: jidOf(CONTACT), id: theirs, fromMe: false } },
    );
    expect(record).toMatchObject({ type: 'text', text: 'noon', quotedId: theirs });
    const quoted = (record.message?.extendedTextMessage as { contextInfo?: { quotedMessage?: unknown } } | undefined)
      ?.contextInfo?.quotedMessage;
    expect(JSON.stringify(quoted)).toContain('what time is it?');

    const ours = await sendOk({ type: 'text', text: 'first' });
    const media = await stage(h, randomBytes(300), 'image/jpeg');
    const { record: photo } = await sendOk(
      { type: 'image', media },
      { replyTo: { chatId: jidOf(CONTACT), id: ours.messageId, fromMe: true } },
    );
    expect(photo).toMatchObject({ type: 'image', quotedId: ours.messageId });
  });

  it('a reaction targets the right message; an empty emoji removes it', async () => {
    const theirs = await inboundText(CONTACT, 'react to me');
    const { record } = await sendOk({
      type: 'reaction',
      target: { chatId: jidOf(CONTACT), id: theirs, fromMe: false },
      emoji: '🎉',
    });
    expect(record).toMatchObject({ type: 'reaction', reaction: { text: '🎉', targetId: theirs, targetFromMe: false } });
    const ours = await sendOk({ type: 'text', text: 'react to mine' });
    const { record: removal } = await sendOk({
      type: 'reaction',
      target: { chatId: jidOf(CONTACT), id: ours.messageId, fromMe: true },
      emoji: '',
    });
    expect(removal).toMatchObject({ reaction: { text: '', targetId: ours.messageId, targetFromMe: true } });
  });

  it('an edit and a revoke of our own message arrive as such', async () => {
    const original = await sendOk({ type: 'text', text: 'helo' });
    const target = { chatId: jidOf(CONTACT), id: original.messageId, fromMe: true };
    const { record: edit } = await sendOk({ type: 'edit', target, text: 'hello' });
    expect(edit).toMatchObject({ type: 'edit', text: 'hello', targetId: original.messageId });
    const { record: revoke } = await sendOk({ type: 'revoke', target });
    expect(revoke).toMatchObject({ type: 'revoke', targetId: original.messageId });
  });

  it('404 when the quoted or target message is unknown, or named with the wrong chat or side; 422 editing theirs', async () => {
    const theirs = await inboundText(CONTACT, 'not yours to edit');
    const before = h.emulator.outbound(phone).length;
    const cases: [Partial<Parameters<typeof send>[1]>, number, RegExp][] = [
      [{ replyTo: { chatId: jidOf(CONTACT), id: 'ABCDEF0123456789', fromMe: false } }, 404, /Message not found/],
      [{ replyTo: { chatId: jidOf(OTHER), id: theirs, fromMe: false } }, 404, /Message not found/],
      [{ replyTo: { chatId: jidOf(CONTACT), id: theirs, fromMe: true } }, 404, /Message not found/],
      [
        {
          content: {
            type: 'reaction',
            target: { chatId: jidOf(CONTACT), id: 'NOPE0123456789AB', fromMe: false },
            emoji: '👍',
          },
        },
        404,
        /Message not found/,
      ],
      [
        { content: { type: 'edit', target: { chatId: jidOf(CONTACT), id: theirs, fromMe: false }, text: 'mine now' } },
        422,
        /Only your own messages can be edited/,
      ],
      [
        { content: { type: 'revoke', target: { chatId: jidOf(CONTACT), id: theirs, fromMe: false } } },
        422,
        /Only your own messages can be revoked/,
      ],
    ];
    for (const [extra, status, message] of cases) {
      const err = await failure(
        send(h, { connectionId: id, chatId: jidOf(CONTACT), content: { type: 'text', text: 'x' }, ...extra }),
      );
      expect([err.statusCode, err.message]).toEqual([status, expect.stringMatching(message)]);
    }
    expect(h.emulator.outbound(phone).length).toBe(before); // nothing was sent
  });
});

describe('events of our own sends', () => {
  it('a send is published as message.any within seconds, with no inbound traffic to flush Baileys', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // idle: no stanza of ours or theirs in flight
    const { messageId } = await sendOk({ type: 'text', text: 'is anyone listening?' });
    const event = await waitFor(
      async () => {
        const rows = await h.database.sql.query<{ body: string }>(
          `SELECT body FROM connection.outbox WHERE connection_id = $1 AND dedupe_key = $2`,
          [id, `message.any:true_${CONTACT}@c.us_${messageId}`],
        );
        return rows[0] && JSON.parse(rows[0].body);
      },
      'message.any of our send',
      10_000, // Baileys' own buffer timeout is 30 s
    );
    expect(event.payload).toMatchObject({
      fromMe: true,
      source: 'api', // WAHA: sent through the API, not from the phone
      body: 'is anyone listening?',
      to: `${CONTACT}@c.us`,
    });
  });
});

describe('idempotency, media expiry and order', () => {
  it('a repeated messageId sends once and answers duplicate with the first timestamp', async () => {
    const messageId = newMessageId();
    const req = {
      connectionId: id,
      chatId: jidOf(CONTACT),
      messageId,
      content: { type: 'text' as const, text: 'once' },
    };
    const first = await send(h, req);
    const again = await send(h, req);
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ ...first, duplicate: true });
    await recordOf(messageId);
    // a media retry: the retry's staged copy is cleaned up too
    const media = await stage(h, randomBytes(100), 'image/png');
    const retried = await send(h, { ...req, content: { type: 'image', media } });
    expect(retried.duplicate).toBe(true);
    expect(await h.redis.exists(media.key)).toBe(0);
    expect(h.emulator.outbound(phone).filter((r) => r.id === messageId)).toHaveLength(1);
  });

  it('409 when the id is already one of ours in another chat', async () => {
    const sent = await sendOk({ type: 'text', text: 'to the contact' });
    const err = await failure(
      send(h, {
        connectionId: id,
        chatId: jidOf(OTHER),
        messageId: sent.messageId,
        content: { type: 'text', text: 'x' },
      }),
    );
    expect([err.statusCode, err.message]).toEqual([409, expect.stringMatching(/already used/)]);
  });

  it('422 when the staged media is gone (expired or never staged); nothing is sent', async () => {
    const media = await stage(h, randomBytes(100), 'image/png');
    await h.redis.del(media.key);
    const before = h.emulator.outbound(phone).length;
    const err = await failure(send(h, { connectionId: id, chatId: jidOf(CONTACT), content: { type: 'image', media } }));
    expect([err.statusCode, err.message]).toEqual([422, 'Media expired before it was sent, send again']);
    expect(h.emulator.outbound(phone).length).toBe(before);
  });

  it('20 rapid sends to one chat arrive in the order they were asked, while another chat is served too', async () => {
    const ids = Array.from({ length: 20 }, () => newMessageId());
    const otherIds = Array.from({ length: 5 }, () => newMessageId());
    const replies = await Promise.all([
      ...ids.map((messageId, i) =>
        send(h, { connectionId: id, chatId: jidOf(CONTACT), messageId, content: { type: 'text', text: `#${i}` } }),
      ),
      ...otherIds.map((messageId, i) =>
        send(h, { connectionId: id, chatId: jidOf(OTHER), messageId, content: { type: 'text', text: `other #${i}` } }),
      ),
    ]);
    expect(replies.every((r) => !r.duplicate)).toBe(true);
    await Promise.all(ids.map(recordOf));
    const arrived = h.emulator
      .outbound(phone)
      .filter((r) => ids.includes(r.id))
      .map((r) => r.text);
    expect(arrived).toEqual(ids.map((_, i) => `#${i}`));
    const timestamps = replies.slice(0, 20).map((r) => r.timestamp);
    expect([...timestamps].sort((a, b) => a - b)).toEqual(timestamps);
  }, 60_000);

  it('a restarted replica still recognises a sent id (the message store, not memory, decides)', async () => {
    const messageId = newMessageId();
    const req = {
      connectionId: id,
      chatId: jidOf(CONTACT),
      messageId,
      content: { type: 'text' as const, text: 'durable' },
    };
    const first = await send(h, req);
    await restartService(h);
    await waitFor(() => h.service.sessions.session(id)?.me(), 'session re-acquired', 30_000);
    const again = await waitFor(
      () =>
        send(h, req).catch((err: unknown) => {
          if (err instanceof AppError && err.statusCode === 503) return undefined; // not bound yet
          throw err;
        }),
      'an answer from the new owner',
      30_000,
      250,
    );
    expect(again).toEqual({ ...first, duplicate: true });
    expect(h.emulator.outbound(phone).filter((r) => r.id === messageId)).toHaveLength(1);
  }, 60_000);
});
