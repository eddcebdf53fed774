/**
 * Sends that go out, end to end (gateway → messaging → connection → emulator): the response shape, the presence
 * simulation, what this service builds for the owner (chat ids, vCard, voice notes, replies, reactions, edits,
 * revokes), Idempotency-Key semantics, and a 50 MB video through Redis staging. The emulator records what the
 * phone's contacts received, decrypted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { OutboundRecord } from '@wahooks/wa-emulator';
import { PNG_1X1 } from './support/media-server.js';
import { chatOf, stagedKeys, startStack, waitFor, type Stack, type User } from './support/stack.js';

let s: Stack;
let alice: User;
let bob: User;
let a: { id: string; phone: string };
let b: { id: string; phone: string };

beforeAll(async () => {
  s = await startStack('msg_sending', {
    emulator: { autoReceipt: 'none' },
    messaging: { MEDIA_MAX_VIDEO_BYTES: String(64 * 1024 * 1024) },
  });
  [alice, bob] = await Promise.all([s.user(), s.user()]);
  a = await s.link(alice);
  b = await s.link(bob);
}, 300_000);

afterAll(async () => {
  await s?.close();
}, 60_000);

const post = (who: User, conn: string, action: string, body: unknown, headers?: Record<string, string>) =>
  s.http('POST', `/api/connections/${conn}/${action}`, who, body, headers);
const bareId = (id: string) => id.slice(id.lastIndexOf('_') + 1);
const recordOf = (phone: string, id: string): Promise<OutboundRecord> =>
  waitFor(() => s.emulator.outbound(phone).find((r) => r.id === bareId(id)), `message ${id} on the phone`);
const recordsTo = (phone: string, contact: string) => s.emulator.outbound(phone).filter((r) => r.to === contact);

describe('a send', () => {
  it('answers 201 {id, timestamp, status} once sent, after seen → typing → paused', async () => {
    const contact = '4915700003001';
    const before = Math.floor(Date.now() / 1000);
    const r = await post(alice, a.id, 'send', { chatId: chatOf(contact), text: 'hello there' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['id', 'status', 'timestamp']);
    expect(r.body.id).toMatch(new RegExp(`^true_${contact}@c\\.us_3EB0[0-9A-F]{32}$`));
    expect(r.body.status).toBe('sent');
    expect(r.body.timestamp).toBeGreaterThanOrEqual(before - 1);
    expect(await recordOf(a.phone, r.body.id)).toMatchObject({ type: 'text', text: 'hello there', to: contact });
    const states = s.emulator
      .signals(a.phone)
      .filter((x) => x.kind === 'chatstate' && x.to === contact)
      .map((x) => (x.kind === 'chatstate' ? x.state : ''));
    expect(states).toEqual(['composing', 'paused']);
  });

  it('skipPresence sends at once, without typing; phone numbers and @s.whatsapp.net are the same chat', async () => {
    const contact = '4915700003002';
    const first = await post(alice, a.id, 'send', { chatId: '+49 157 0000-3002', text: 'one', skipPresence: true });
    const second = await post(alice, a.id, 'send', {
      chatId: `${contact}@s.whatsapp.net`,
      text: 'two',
      skipPresence: true,
    });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.id).toMatch(new RegExp(`^true_${contact}@c\\.us_`));
    expect(recordsTo(a.phone, contact).map((m) => m.text)).toEqual(['one', 'two']);
    expect(s.emulator.signals(a.phone).filter((x) => x.kind === 'chatstate' && x.to === contact)).toEqual([]);
  });

  it('builds what the original sends: vCard, location, voice note, reply, reaction, edit, revoke', async () => {
    const contact = '4915700003003';
    const chat = chatOf(contact);
    const vcard = await post(alice, a.id, 'send-contact', {
      chatId: chat,
      contactName: 'Ann Example',
      contactPhone: '+49 (157) 000-1',
      skipPresence: true,
    });
    expect(vcard.status).toBe(201);
    expect(await recordOf(a.phone, vcard.body.id)).toMatchObject({
      type: 'contact',
      displayName: 'Ann Example',
      vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann Example\nTEL;type=CELL;type=VOICE;waid=491570001:+491570001\nEND:VCARD',
    });

    const place = await post(alice, a.id, 'send-location', {
      chatId: chat,
      latitude: 52.52,
      longitude: 13.405,
      name: 'Berlin',
      address: 'Mitte',
      skipPresence: true,
    });
    expect((await recordOf(a.phone, place.body.id)).location).toEqual({
      latitude: 52.52,
      longitude: 13.405,
      name: 'Berlin',
      address: 'Mitte',
    });

    // An Ogg page whose first packet is an Opus header (file-type: audio/ogg; codecs=opus), then noise.
    const oggHead = Buffer.concat([Buffer.from('OggS'), Buffer.from([0, 2]), Buffer.alloc(20), Buffer.from([1, 19])]);
    const ogg = Buffer.concat([oggHead, Buffer.from('OpusHead'), randomBytes(2000)]);
    const voice = await post(alice, a.id, 'send-audio', {
      chatId: chat,
      data: ogg.toString('base64'),
      skipPresence: true,
    });
    expect(voice.status).toBe(201);
    const voiceRecord = await recordOf(a.phone, voice.body.id);
    expect(voiceRecord).toMatchObject({ type: 'audio', ptt: true, mimetype: 'audio/ogg; codecs=opus' });
    expect(Buffer.from(voiceRecord.media!).equals(ogg)).toBe(true);

    const original = await post(alice, a.id, 'send', { chatId: chat, text: 'original', skipPresence: true });
    // replyTo takes the API's id as well as the bare WhatsApp id.
    const reply = await post(alice, a.id, 'send', {
      chatId: chat,
      text: 'a reply',
      replyTo: original.body.id,
      skipPresence: true,
    });
    expect((await recordOf(a.phone, reply.body.id)).quotedId).toBe(bareId(original.body.id));
    const reply2 = await post(alice, a.id, 'send', {
      chatId: chat,
      text: 'again',
      replyTo: bareId(original.body.id),
      skipPresence: true,
    });
    expect((await recordOf(a.phone, reply2.body.id)).quotedId).toBe(bareId(original.body.id));

    const react = await post(alice, a.id, 'react', { messageId: original.body.id, reaction: '👍' });
    expect(react).toMatchObject({ status: 201, body: { success: true } });
    await waitFor(
      () =>
        recordsTo(a.phone, contact).find(
          (m) => m.type === 'reaction' && m.reaction?.targetId === bareId(original.body.id),
        ),
      'the reaction',
    );
    expect(recordsTo(a.phone, contact).find((m) => m.type === 'reaction')?.reaction).toMatchObject({
      text: '👍',
      targetFromMe: true,
    });

    const edit = await s.http('PUT', `/api/connections/${a.id}/messages/${original.body.id}`, alice, {
      text: 'edited',
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ id: original.body.id, text: 'edited' });
    await waitFor(
      () => recordsTo(a.phone, contact).find((m) => m.type === 'edit' && m.targetId === bareId(original.body.id)),
      'the edit',
    );

    const revoke = await s.http('DELETE', `/api/connections/${a.id}/messages/${bareId(reply.body.id)}`, alice);
    expect(revoke).toMatchObject({ status: 200, body: { success: true } });
    await waitFor(
      () => recordsTo(a.phone, contact).find((m) => m.type === 'revoke' && m.targetId === bareId(reply.body.id)),
      'the revoke',
    );

    const notText = await s.http('PUT', `/api/connections/${a.id}/messages/${voice.body.id}`, alice, { text: 'nope' });
    expect(notText).toMatchObject({ status: 400, body: { message: 'Only text messages can be edited' } });
  });
});

describe('Idempotency-Key', () => {
  const contact = '4915700003004';
  const chat = chatOf(contact);

  it('same key + same body: the first response, sent once; another body: 422, nothing sent', async () => {
    const key = { 'idempotency-key': `order-${randomUUID()}` };
    const body = { chatId: chat, text: 'pay once', skipPresence: true };
    const first = await post(alice, a.id, 'send', body, key);
    const again = await post(alice, a.id, 'send', body, key);
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, body: first.body });
    const other = await post(alice, a.id, 'send', { ...body, text: 'pay twice' }, key);
    expect(other).toMatchObject({
      status: 422,
      body: { statusCode: 422, message: 'This Idempotency-Key was already used with a different request body' },
    });
    const elsewhere = await post(alice, a.id, 'send-location', { chatId: chat, latitude: 1, longitude: 2 }, key);
    expect(elsewhere.status).toBe(422);
    expect(recordsTo(a.phone, contact).filter((m) => m.text === 'pay once' || m.text === 'pay twice')).toHaveLength(1);
  });

  it('the same base64 media twice with one key is one send (bodies compared by their bytes)', async () => {
    const key = { 'idempotency-key': randomUUID() };
    const body = { chatId: chat, data: PNG_1X1.toString('base64'), caption: 'once', skipPresence: true };
    const [first, second] = [
      await post(alice, a.id, 'send-image', body, key),
      await post(alice, a.id, 'send-image', body, key),
    ];
    expect(second.body).toEqual(first.body);
    expect(recordsTo(a.phone, contact).filter((m) => m.caption === 'once')).toHaveLength(1);
    expect(await stagedKeys(s)).toEqual([]); // the replay's upload was dropped
  });

  it('requests with one key at the same moment send once and all get the same answer', async () => {
    const key = { 'idempotency-key': randomUUID() };
    const body = { chatId: chat, text: 'concurrent' }; // with presence: the twins wait seconds for the first
    const all = await Promise.all(Array.from({ length: 5 }, () => post(alice, a.id, 'send', body, key)));
    expect(all.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    expect(recordsTo(a.phone, contact).filter((m) => m.text === 'concurrent')).toHaveLength(1);
  });

  it('keys are per user', async () => {
    const key = { 'idempotency-key': `shared-${randomUUID()}` };
    const mine = await post(alice, a.id, 'send', { chatId: chat, text: 'alice', skipPresence: true }, key);
    const theirs = await post(bob, b.id, 'send', { chatId: chat, text: 'bob', skipPresence: true }, key);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    await recordOf(b.phone, theirs.body.id);
  });

  it('a refused try frees the key: the next one with it sends', async () => {
    const key = { 'idempotency-key': randomUUID() };
    const refused = await post(
      alice,
      a.id,
      'send',
      { chatId: chat, text: 'x', replyTo: 'true_4915700003004@c.us_3EB0DEAD' },
      key,
    );
    expect(refused.status).toBe(404); // the owner does not know the quoted message: nothing was sent
    const ok = await post(
      alice,
      a.id,
      'send',
      { chatId: chat, text: 'x', replyTo: 'true_4915700003004@c.us_3EB0DEAD' },
      key,
    );
    expect(ok.status).toBe(404); // same body, same answer: the failure was not stored as "done"
    const fixed = await post(alice, a.id, 'send', { chatId: chat, text: 'x', skipPresence: true }, key);
    expect(fixed.status).toBe(201); // the key was free again (a failed try binds nothing)
  });
});

describe('big media', () => {
  it('a 50 MB video sends: bytes staged in Redis, never on the broker', async () => {
    const video = Buffer.concat([Buffer.from('0000001866747970', 'hex'), randomBytes(50 * 1024 * 1024)]);
    const r = await post(bob, b.id, 'send-video', {
      chatId: chatOf('4915700003005'),
      data: video.toString('base64'),
      mimetype: 'video/mp4',
      caption: 'big',
      skipPresence: true,
    });
    expect(r.status).toBe(201);
    const record = await recordOf(b.phone, r.body.id);
    expect(record).toMatchObject({ type: 'video', caption: 'big', mimetype: 'video/mp4' });
    const digest = (x: Uint8Array) => createHash('sha256').update(x).digest('hex');
    expect(digest(record.media!)).toBe(digest(video));
    expect(await stagedKeys(s)).toEqual([]);
  }, 120_000);
});
