/**
 * Every way a send is refused, over HTTP through the real gateway, messaging and connection services and the
 * emulator: validation (the documented messages, per route), 404/403/409, media by URL and by base64 (sizes, types,
 * private addresses, redirects), and 503 when no replica holds the session. A refused send sends nothing (the
 * emulated phone received nothing) and leaves no staged bytes in Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { PDF_HEAD, PNG_1X1, pngOfSize, startMediaServer, type MediaServer } from './support/media-server.js';
import { chatOf, stagedKeys, startStack, waitFor, type HttpResult, type Stack, type User } from './support/stack.js';

const CONTACT = '4915700002001';
const LIMIT = 100 * 1024; // MEDIA_MAX_IMAGE_BYTES here, so oversized bodies stay small
let s: Stack;
let media: MediaServer;
let alice: User;
let bob: User;
let linked: { id: string; phone: string };
let unlinked: string;

beforeAll(async () => {
  s = await startStack('msg_errors', { messaging: { MEDIA_MAX_IMAGE_BYTES: String(LIMIT) } });
  media = await startMediaServer();
  [alice, bob] = await Promise.all([s.user(), s.user()]);
  linked = await s.link(alice);
  const created = await s.http('POST', '/api/connections', alice, { name: 'never scanned' });
  unlinked = created.body.id;
}, 300_000);

afterAll(async () => {
  await media?.close();
  await s?.close();
}, 60_000);

const sent = () => s.emulator.outbound(linked.phone).length;
const send = (action: string, body: unknown, who: User = alice, id = linked.id, headers?: Record<string, string>) =>
  s.http('POST', `/api/connections/${id}/${action}`, who, body, headers);

/** The call is refused with `status` and `message`, nothing reaches the phone, nothing stays staged. */
async function refused(call: () => Promise<HttpResult>, status: number, message: string | string[] | RegExp) {
  const before = sent();
  const r = await call();
  expect({ status: r.status, error: r.body?.statusCode }).toEqual({ status, error: status });
  if (message instanceof RegExp) expect(String(r.body.message)).toMatch(message);
  else expect(r.body.message).toEqual(message);
  expect(sent()).toBe(before);
  expect(await stagedKeys(s)).toEqual([]);
  return r;
}

const chat = chatOf(CONTACT);
const b64 = PNG_1X1.toString('base64');

describe('validation: the documented messages, nothing sent', () => {
  const cases: [string, unknown, string | string[]][] = [
    ['send', {}, 'chatId and text are required'],
    ['send', { chatId: chat }, 'chatId and text are required'],
    ['send', { text: 'hi' }, 'chatId and text are required'],
    ['send', { chatId: chat, text: '' }, 'chatId and text are required'],
    [
      'send',
      { chatId: 'not-a-chat', text: 'hi' },
      'chatId must be a phone number or a chat id ending in @c.us, @s.whatsapp.net, @g.us or @lid (e.g. 15551234567@c.us)',
    ],
    ['send', { chatId: chat, text: 'hi', skipPresence: 'yes' }, 'skipPresence must be a boolean'],
    ['send', { chatId: chat, text: 5 }, 'text must be a string'],
    ['send-image', { chatId: chat }, 'exactly one of url or data is required'],
    [
      'send-image',
      { chatId: chat, url: `${'http'}://example.com/a.png`, data: b64 },
      'exactly one of url or data is required',
    ],
    ['send-image', { url: 'https://example.com/a.png' }, 'chatId is required'],
    ['send-image', { chatId: chat, data: 'not base64!' }, 'data must be valid base64'],
    ['send-image', { chatId: chat, data: 'aGk' }, 'data must be valid base64'],
    [
      'send-image',
      { chatId: chat, data: b64, mimetype: 'application/pdf' },
      'mimetype must be an image/* type (e.g. image/jpeg)',
    ],
    [
      'send-video',
      { chatId: chat, data: b64, mimetype: 'image/png' },
      'mimetype must be a video/* type (e.g. video/mp4)',
    ],
    [
      'send-audio',
      { chatId: chat, data: b64, mimetype: 'video/mp4' },
      'mimetype must be an audio/* type (e.g. audio/ogg; codecs=opus)',
    ],
    ['send-document', { chatId: chat }, 'exactly one of url or data is required'],
    [
      'send-document',
      { chatId: chat, data: b64, mimetype: 'not a type' },
      'mimetype must be a media type such as application/pdf',
    ],
    ['send-location', { chatId: chat }, 'latitude and longitude are required'],
    ['send-location', { chatId: chat, latitude: 1 }, 'latitude and longitude are required'],
    ['send-location', { chatId: chat, latitude: 91, longitude: 0 }, 'latitude must be between -90 and 90'],
    ['send-location', { chatId: chat, latitude: 0, longitude: -180.5 }, 'longitude must be between -180 and 180'],
    ['send-location', { chatId: chat, latitude: '1', longitude: 2 }, 'latitude must be a number'],
    ['send-location', { latitude: 1, longitude: 2 }, 'chatId is required'],
    ['send-contact', { chatId: chat, contactName: 'Ann' }, 'contactName and contactPhone are required'],
    ['send-contact', { chatId: chat, contactPhone: '+49 157 1' }, 'contactName and contactPhone are required'],
    [
      'send-contact',
      { chatId: chat, contactName: 'Ann', contactPhone: 'none' },
      'contactPhone must contain a phone number (3 to 20 digits)',
    ],
    ['react', { messageId: '3EB0ABCDEF012345', reaction: '👍' }, 'chatId and messageId are required'],
    ['react', { chatId: chat, reaction: '👍' }, 'chatId and messageId are required'],
    ['react', { chatId: chat }, ['chatId and messageId are required', 'reaction is required']],
    ['mark-read', {}, 'chatId is required'],
    ['typing', {}, 'chatId is required'],
    ['typing/stop', { chatId: '' }, 'chatId is required'],
  ];
  it.each(cases)('POST %s %j → 400 %j', async (action, body, message) => {
    await refused(() => send(action, body), 400, message);
  });

  it('PUT/DELETE/GET …/messages/:id and the Idempotency-Key header are checked too', async () => {
    await refused(
      () => s.http('PUT', `/api/connections/${linked.id}/messages/3EB0ABCDEF012345`, alice, {}),
      400,
      'text is required',
    );
    await refused(
      () => send('send', { chatId: chat, text: 'hi' }, alice, linked.id, { 'idempotency-key': 'x'.repeat(256) }),
      400,
      'Idempotency-Key must be 1 to 255 printable ASCII characters',
    );
    await refused(
      () => send('send', { chatId: chat, text: 'hi', replyTo: 'not an id!' }),
      400,
      'replyTo must be a message id (true_<chatId>_<id>) or a WhatsApp message id',
    );
    await refused(
      () => send('react', { chatId: chat, messageId: 'bad id!', reaction: '👍' }),
      400,
      'messageId must be a message id (true_<chatId>_<id>) or a WhatsApp message id',
    );
  });

  it('JSON routes take at most 1 MB; the error envelope is the usual one', async () => {
    const r = await refused(
      () => send('send', { chatId: chat, text: 'x'.repeat(1_100_000) }),
      413,
      'Request body is larger than the 1mb limit',
    );
    expect(r.body.error).toBe('Payload Too Large');
  });
});

describe('who and what may be sent to', () => {
  it('404 unknown or malformed connection, 404 unknown message', async () => {
    await refused(() => send('send', { chatId: chat, text: 'hi' }, alice, randomUUID()), 404, 'Connection not found');
    await refused(() => send('send', { chatId: chat, text: 'hi' }, alice, 'not-a-uuid'), 404, 'Connection not found');
    await refused(() => send('mark-read', { chatId: chat }, alice, randomUUID()), 404, 'Connection not found');
    const missing = await s.http('GET', `/api/connections/${linked.id}/messages/true_${chat}_3EB0000000000000`, alice);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('Message not found');
    await refused(
      () => s.http('DELETE', `/api/connections/${linked.id}/messages/3EB0FFFF00000000`, alice),
      404,
      'Message not found',
    );
  });

  it("403 on another user's connection, for every kind of call", async () => {
    const msg = 'You do not own this connection';
    await refused(() => send('send', { chatId: chat, text: 'hi' }, bob), 403, msg);
    await refused(() => send('send-image', { chatId: chat, data: b64 }, bob), 403, msg);
    await refused(() => send('mark-read', { chatId: chat }, bob), 403, msg);
    await refused(() => send('typing', { chatId: chat }, bob), 403, msg);
    const r = await s.http('GET', `/api/connections/${linked.id}/messages/3EB0000000000000`, bob);
    expect(r.status).toBe(403);
  });

  it('409 when the connection is not linked, telling to scan the QR', async () => {
    await refused(() => send('send', { chatId: chat, text: 'hi' }, alice, unlinked), 409, /scan its QR code/);
    await refused(
      () => send('send-image', { chatId: chat, data: b64, mimetype: 'image/png' }, alice, unlinked),
      409,
      /scan its QR code/,
    );
    await refused(() => send('typing', { chatId: chat }, alice, unlinked), 409, /not linked/);
  });
});

describe('media', () => {
  it('base64 over the size limit → 413, under it the same bytes arrive', async () => {
    await refused(
      () => send('send-image', { chatId: chat, data: pngOfSize(LIMIT + 1).toString('base64'), skipPresence: true }),
      413,
      'The image is larger than the 100 KB limit for images',
    );
    const ok = await send('send-image', { chatId: chat, data: b64, caption: 'tiny', skipPresence: true });
    expect(ok.status).toBe(201);
    const record = await waitFor(
      () => s.emulator.outbound(linked.phone).find((m) => ok.body.id.endsWith(`_${m.id}`)),
      'the image on the phone',
    );
    expect(record).toMatchObject({ type: 'image', caption: 'tiny', mimetype: 'image/png' });
    expect(Buffer.from(record.media!).equals(PNG_1X1)).toBe(true);
    expect(await stagedKeys(s)).toEqual([]); // the owner deleted the staged bytes after sending
  });

  it('bytes that are plainly another kind → 415; an undetectable type without mimetype → 400', async () => {
    await refused(
      () => send('send-image', { chatId: chat, data: PDF_HEAD.toString('base64'), skipPresence: true }),
      415,
      'The media is application/pdf, not an image',
    );
    await refused(
      () =>
        send('send-video', {
          chatId: chat,
          data: Buffer.from('just some text').toString('base64'),
          skipPresence: true,
        }),
      400,
      'mimetype is required: the type of the media could not be detected',
    );
  });

  it('by URL: unreachable, private, redirect to private, oversized, wrong type → 4xx, nothing fetched twice', async () => {
    media.serve('/big.png', pngOfSize(LIMIT + 10), 'image/png');
    media.serve('/page.html', Buffer.from('<html>hello</html>'), 'text/html; charset=utf-8');
    media.redirect('/to-localhost', `http://localhost:${media.port}/big.png`);
    media.redirect('/to-metadata', 'http://169.254.169.254/latest/meta-data/');
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));

    const image = (url: string) => () => send('send-image', { chatId: chat, url, skipPresence: true });
    await refused(image(`http://127.0.0.1:${deadPort}/x.png`), 422, /^Could not fetch url: /);
    await refused(
      image(`http://localhost:${media.port}/big.png`),
      400,
      /must not point to a loopback, private, link-local or metadata address/,
    );
    await refused(
      image('http://10.1.2.3/x.png'),
      400,
      /must not point to a loopback, private, link-local or metadata address/,
    );
    await refused(
      image(`${media.base}/to-localhost`),
      400,
      /must not point to a loopback, private, link-local or metadata address/,
    );
    await refused(
      image(`${media.base}/to-metadata`),
      400,
      /must not point to a loopback, private, link-local or metadata address/,
    );
    await refused(image(`${media.base}/big.png`), 413, 'The image is larger than the 100 KB limit for images');
    await refused(image(`${media.base}/page.html`), 415, 'url answered with content type text/html, not an image');
    await refused(image(`${media.base}/missing.png`), 422, 'Could not fetch url: url answered HTTP 404');
    await refused(image('ftp://example.com/x.png'), 400, 'url must be an absolute http(s) URL');
    expect(media.hits('/big.png')).toBe(1); // only the allowed host was ever reached, and only once
  });

  it('a URL document arrives with its bytes and file name', async () => {
    const pdf = Buffer.concat([PDF_HEAD, Buffer.from('%%EOF\n')]);
    media.serve('/files/report.pdf', pdf, 'application/pdf');
    const ok = await send('send-document', { chatId: chat, url: `${media.base}/files/report.pdf`, skipPresence: true });
    expect(ok.status).toBe(201);
    const record = await waitFor(
      () => s.emulator.outbound(linked.phone).find((m) => ok.body.id.endsWith(`_${m.id}`)),
      'the document on the phone',
    );
    expect(record).toMatchObject({ type: 'document', fileName: 'report.pdf', mimetype: 'application/pdf' });
    expect(Buffer.from(record.media!).equals(pdf)).toBe(true);
  });
});

describe('no replica holds the session', () => {
  it('503 with Retry-After, nothing sent (the connection service is gone)', async () => {
    s.connection.kill('SIGKILL'); // its exclusive session queue goes with its broker connection
    await new Promise((r) => s.connection.once('exit', r));
    for (const body of [
      { chatId: chat, text: 'nobody home', skipPresence: true },
      { chatId: chat, text: 'nobody home either' },
    ]) {
      const r = await refused(
        () => send('send', body),
        503,
        "No replica holds this connection's WhatsApp session right now; nothing was sent, retry shortly",
      );
      expect(r.headers.get('retry-after')).toBe('3');
    }
  });
});
