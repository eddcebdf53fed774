import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DisconnectReason, downloadMediaMessage } from '@whiskeysockets/baileys';
import { trustServerRootKey } from '@wahooks/wa-trust';
import { startEmulator, type Emulator } from '../src/index.js';
import { createClient, messageById, waitFor, type TestClient } from './support/client.js';

const CONTACT = '4915700000005';

describe('HTTP control API', () => {
  let emulator: Emulator;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${emulator.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };

  beforeAll(async () => {
    emulator = await startEmulator({ autoReceipt: 'none', inboundMedia: 'http' }); // plain downloadMediaMessage
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('drives a real client end to end: root key, scan, inbound, outbound, receipt, fault', async () => {
    const rootKey = await call('GET', '/control/root-key');
    expect(rootKey).toEqual({ status: 200, json: { rootKey: emulator.rootPublicKey } });
    trustServerRootKey(rootKey.json.rootKey);

    let scanned: { phone: string; jid: string } | undefined;
    const client: TestClient = createClient({
      emulator,
      onQr: (qr) => {
        if (!scanned) void call('POST', '/control/scan', { qr, phone: '15557654321' }).then((r) => (scanned = r.json));
      },
    });
    await waitFor(() => client.opens > 0, 'open');
    expect(scanned).toEqual({ phone: '15557654321', jid: '15557654321@s.whatsapp.net' });

    const text = await call('POST', '/control/inbound', {
      to: '15557654321',
      from: CONTACT,
      type: 'text',
      text: 'via http',
    });
    expect(text.status).toBe(200);
    expect((await waitFor(() => messageById(client, text.json.id), 'text')).message?.conversation).toBe('via http');

    const bytes = randomBytes(2000);
    const doc = await call('POST', '/control/inbound', {
      to: '15557654321',
      from: CONTACT,
      type: 'document',
      data: bytes.toString('base64'),
      fileName: 'a.bin',
    });
    const docMessage = await waitFor(() => messageById(client, doc.json.id), 'document');
    expect(((await downloadMediaMessage(docMessage, 'buffer', {})) as Buffer).equals(bytes)).toBe(true);

    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { image: bytes, caption: 'pic' });
    const recorded = await waitFor(
      () => emulator.outbound('15557654321').find((r) => r.id === sent!.key.id),
      'captured',
    );
    expect(recorded.type).toBe('image');
    const listed = await call('GET', '/control/outbound?phone=15557654321');
    const item = listed.json.messages.find((m: { id: string }) => m.id === sent!.key.id);
    expect(item).toMatchObject({ type: 'image', caption: 'pic', to: CONTACT, media: bytes.toString('base64') });

    expect(
      await call('POST', '/control/receipt', { phone: '15557654321', messageId: sent!.key.id, status: 'read' }),
    ).toEqual({
      status: 200,
      json: { ok: true },
    });
    await waitFor(() => client.statusUpdates.some((u) => u.id === sent!.key.id && u.status === 4), 'read');

    client.autoRestart = false;
    expect((await call('POST', '/control/fault', { phone: '15557654321', kind: '440' })).status).toBe(200);
    await waitFor(() => client.closes.length > 1, 'fault');
    expect(client.closes.at(-1)).toBe(DisconnectReason.connectionReplaced);
  });

  it.each([
    ['POST', '/control/scan', '{not json', /not valid JSON/],
    ['POST', '/control/scan', {}, /qr .*is required/],
    ['POST', '/control/scan', { qr: 'garbage' }, /not a WhatsApp pairing QR/],
    ['POST', '/control/inbound', [], /JSON object/],
    ['POST', '/control/inbound', { to: '15550009999', from: CONTACT, type: 'text', text: 'x' }, /no linked account/],
    [
      'POST',
      '/control/inbound',
      { to: '15557654321', from: '+49 157', type: 'text', text: 'x' },
      /from must be a phone number/,
    ],
    ['POST', '/control/inbound', { to: '15557654321', from: CONTACT, type: 'text' }, /text is required/],
    [
      'POST',
      '/control/inbound',
      { to: '15557654321', from: CONTACT, type: 'location', latitude: 123, longitude: 0 },
      /latitude must be between/,
    ],
    [
      'POST',
      '/control/inbound',
      { to: '15557654321', from: CONTACT, type: 'image', data: '!!' },
      /data must be base64/,
    ],
    ['GET', '/control/outbound', undefined, /phone is required/],
    ['GET', '/control/outbound?phone=abc', undefined, /phone must be a phone number/],
    ['POST', '/control/receipt', { phone: '15557654321', messageId: 'X' }, /status is required/],
    ['POST', '/control/receipt', { phone: '15557654321', messageId: 'X', status: 'read' }, /no message with id X/],
    ['POST', '/control/forget-session', { phone: '15557654321' }, /contact is required/],
    ['POST', '/control/forget-session', { phone: '15557654321', contact: '+49 157' }, /contact must be a phone number/],
    ['POST', '/control/fault', { phone: '15557654321', kind: 'meteor' }, /kind must be one of/],
    ['POST', '/control/fault', { kind: 'refuse', ms: -1 }, /ms must be/],
    ['POST', '/control/presence', { to: '15557654321', from: CONTACT, presence: 'asleep' }, /presence must be one of/],
    ['POST', '/control/profile', { phone: CONTACT, pictureUrl: 7 }, /pictureUrl must be a string or null/],
  ] as const)('%s %s %j → 400', async (method, path, body, message) => {
    const { status, json } = await call(method, path, body);
    expect(status).toBe(400);
    expect(json).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(json.message).toMatch(message);
  });

  it('unknown routes are 404, wrong methods 405', async () => {
    expect(await call('GET', '/control/nope')).toMatchObject({
      status: 404,
      json: { statusCode: 404, error: 'Not Found' },
    });
    expect(await call('DELETE', '/control/scan')).toMatchObject({ status: 405, json: { statusCode: 405 } });
  });
});
